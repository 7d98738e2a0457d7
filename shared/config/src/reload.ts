import { statSync } from 'node:fs';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AdmissionLimits } from '@dvc/domain';
import { admissionLimits, admissionSpec, type AdmissionConfig } from './admission.js';
import { dataSpec, loadReferenceData, referenceDataPaths, type DataFileVersion, type ReferenceData } from './data.js';
import { int } from './env.js';
import type { Logger } from './log.js';

/** How often services look for changed reference data files. */
export const reloadSpec = {
  DATA_RELOAD_INTERVAL_SECONDS: int(
    'how often the reference data files (DATA_DIR, recipients) are checked for changes and reloaded; 0 = only on SIGHUP',
    10,
    0,
    86_400,
  ),
};

/** The variables watchReferenceData reads: the data directory and how often it is checked. */
export const watchedDataSpec = { ...dataSpec, ...reloadSpec };

/** The variables watchAdmittingReference reads: the watched data directory and the admission limits. */
export const admittingReferenceSpec = { ...watchedDataSpec, ...admissionSpec };

/** One load of data files: what was built from them and the version of each file. */
export interface LoadedData<T> {
  value: T;
  files: readonly DataFileVersion[];
}

/**
 * Data read from files and replaced, without a restart, when they change. Callers take
 * `current()` once per batch or request, so each sees one consistent snapshot.
 */
export interface ReloadingData<T> {
  current(): T;
  /** Loads again now, whatever the files' times; true when the new data replaced the old. */
  reload(trigger: string): boolean;
  /** Loads again when a watched file changed (modification time, size, inode, or the file list) since the last attempt. */
  poll(): boolean;
  /** Stops the timer and the SIGHUP handler. */
  close(): void;
}

export interface ReloadOptions<T> {
  /** What the data is, for log lines ("reference data"). */
  what: string;
  /** Every file (and folder) the data is read from; may throw when a folder cannot be listed. */
  paths: () => readonly string[];
  /** Reads and checks everything; throws (naming the file) when anything is wrong. */
  load: () => LoadedData<T>;
  /** Poll period; 0 polls never (SIGHUP and reload() still work). */
  intervalMs: number;
  logger: Logger;
  registry: Registry;
  /** Wall clock of the loaded-at timestamp. */
  now?: () => number;
}

function fingerprint(paths: () => readonly string[]): string {
  let list: readonly string[];
  try {
    list = paths();
  } catch (error) {
    return `unlistable: ${(error as Error).message}`;
  }
  return list
    .map((path) => {
      try {
        const s = statSync(path);
        return `${path}|${s.mtimeMs}|${s.size}|${s.ino}`;
      } catch {
        return `${path}|missing`;
      }
    })
    .join('\n');
}

const versionsOf = (files: readonly DataFileVersion[]) => Object.fromEntries(files.map((f) => [f.file, f.version]));

/**
 * Loads the data once (throwing when it is bad: a service does not start on bad data), then
 * reloads it when its files change (polled every `intervalMs`) and on SIGHUP. Each load logs one
 * line with the versions and sets `dvc_reference_data_info{file,version}` and
 * `dvc_reference_data_loaded_timestamp_seconds`; a failed reload keeps the previous data, logs
 * the error (which names the file) and counts `dvc_reference_data_reload_failures_total`. A change
 * that failed is not retried until the files change again.
 */
export function reloadingData<T>(options: ReloadOptions<T>): ReloadingData<T> {
  const now = options.now ?? Date.now;
  const info = new Gauge({
    name: 'dvc_reference_data_info',
    help: 'Reference data files in use, by file and version (the file\'s "version" field, else the first 12 hex digits of its SHA-256); value 1',
    labelNames: ['file', 'version'],
    registers: [options.registry],
  });
  const loadedAt = new Gauge({
    name: 'dvc_reference_data_loaded_timestamp_seconds',
    help: 'When the reference data in use was loaded',
    registers: [options.registry],
  });
  const failures = new Counter({
    name: 'dvc_reference_data_reload_failures_total',
    help: 'Reloads of changed reference data refused because a file was bad (the previous data stays in use)',
    registers: [options.registry],
  });
  failures.inc(0);

  let seen = fingerprint(options.paths);
  let loaded = options.load();
  const publish = (trigger: string) => {
    info.reset();
    for (const f of loaded.files) info.set({ file: f.file, version: f.version }, 1);
    loadedAt.set(now() / 1000);
    options.logger.info({ trigger, versions: versionsOf(loaded.files) }, `${options.what} loaded`);
  };
  publish('start');

  const reload = (trigger: string): boolean => {
    seen = fingerprint(options.paths);
    try {
      loaded = options.load();
    } catch (error) {
      failures.inc();
      options.logger.error(
        { trigger, err: (error as Error).message, versions: versionsOf(loaded.files) },
        `${options.what} not reloaded: ${(error as Error).message}; keeping the data loaded before`,
      );
      return false;
    }
    publish(trigger);
    return true;
  };
  const poll = (): boolean => (fingerprint(options.paths) === seen ? false : reload('change'));

  const timer = options.intervalMs > 0 ? setInterval(poll, options.intervalMs) : undefined;
  timer?.unref();
  const onHangup = () => void reload('SIGHUP');
  process.on('SIGHUP', onHangup);

  return {
    current: () => loaded.value,
    reload,
    poll,
    close: () => {
      if (timer !== undefined) clearInterval(timer);
      process.off('SIGHUP', onHangup);
    },
  };
}

/** The reference data and the admission limits derived from it: what an entry that admits events needs per batch. */
export interface AdmittingReference {
  reference: ReferenceData;
  admission: AdmissionLimits;
}

export interface ReferenceWatchDeps {
  logger: Logger;
  registry: Registry;
  now?: () => number;
}

/** The reference data of DATA_DIR, reloaded when it changes. */
export function watchReferenceData(config: { DATA_DIR: string; DATA_RELOAD_INTERVAL_SECONDS: number }, deps: ReferenceWatchDeps): ReloadingData<ReferenceData> {
  return reloadingData({
    what: 'reference data',
    paths: () => referenceDataPaths(config.DATA_DIR),
    load: () => {
      const reference = loadReferenceData(config.DATA_DIR);
      return { value: reference, files: reference.files };
    },
    intervalMs: config.DATA_RELOAD_INTERVAL_SECONDS * 1000,
    ...deps,
  });
}

/**
 * The reference data of DATA_DIR with the admission limits, reloaded when it changes. The
 * limits are checked at every load: a calendar change that no longer covers HISTORY_START is
 * refused like a bad file (and at start-up, a ConfigError naming HISTORY_START).
 */
export function watchAdmittingReference(
  config: { DATA_DIR: string; DATA_RELOAD_INTERVAL_SECONDS: number } & AdmissionConfig,
  deps: ReferenceWatchDeps,
): ReloadingData<AdmittingReference> {
  return reloadingData({
    what: 'reference data',
    paths: () => referenceDataPaths(config.DATA_DIR),
    load: () => {
      const reference = loadReferenceData(config.DATA_DIR);
      return { value: { reference, admission: admissionLimits(config, reference) }, files: reference.files };
    },
    intervalMs: config.DATA_RELOAD_INTERVAL_SECONDS * 1000,
    ...deps,
  });
}
