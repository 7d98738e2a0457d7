import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { admissionLimits, admissionSpec } from './admission.js';
import { DEFAULT_DATA_DIR, loadReferenceData, readDataFile } from './data.js';
import { ConfigError, describeConfig, loadConfig } from './env.js';
import { watchAdmittingReference, watchReferenceData } from './reload.js';

/** Log records of a test logger, as parsed JSON. */
function capturingLogger() {
  const records: { level: number; msg: string; trigger?: string; versions?: Record<string, string>; err?: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void records.push(JSON.parse(line) as (typeof records)[number]) });
  return { logger, records };
}

async function metricValues(registry: Registry, name: string): Promise<{ labels: Record<string, string | number>; value: number }[]> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return [];
  return (await metric.get()).values.map((v) => ({ labels: v.labels as Record<string, string | number>, value: v.value }));
}

describe('reference data versions', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dvc-data-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is the "version" field when the file has one, else the first 12 hex digits of the SHA-256 of its bytes', () => {
    writeFileSync(join(dir, 'a.json'), '{"version": "2026-12-03", "x": 1}');
    const bytes = '{"x": 1}\n';
    writeFileSync(join(dir, 'b.json'), bytes);
    expect(readDataFile(join(dir, 'a.json')).version).toBe('2026-12-03');
    expect(readDataFile(join(dir, 'b.json')).version).toBe(createHash('sha256').update(bytes).digest('hex').slice(0, 12));
  });

  it('lists every file read, the unit directory carrying the version of units.json', () => {
    const reference = loadReferenceData();
    const files = reference.files.map((f) => f.file);
    expect(files).toEqual(expect.arrayContaining(['calendar/2022.json', 'units.json', 'targets.json', 'procedures.json']));
    const units = reference.files.find((f) => f.file === 'units.json');
    expect(reference.units.version).toBe(units?.version);
    expect(units?.version).toBe((JSON.parse(readFileSync(join(DEFAULT_DATA_DIR, 'units.json'), 'utf8')) as { version: string }).version);
  });

  it('names the file when a unit directory contradicts itself', () => {
    cpSync(DEFAULT_DATA_DIR, dir, { recursive: true });
    const units = JSON.parse(readFileSync(join(dir, 'units.json'), 'utf8')) as { units: { id: string; parent?: string }[] };
    units.units.push({ id: 'dn.orphan', parent: 'dn.none' });
    writeFileSync(join(dir, 'units.json'), JSON.stringify(units));
    expect(() => loadReferenceData(dir)).toThrow(`${join(dir, 'units.json')} is invalid: unit 'dn.orphan': parent 'dn.none' is not in the unit directory`);
  });
});

describe('admission settings', () => {
  const reference = loadReferenceData();
  const settings = (env: Record<string, string> = {}) => loadConfig(admissionSpec, env);

  it('defaults: 5 minutes of skew, the history from 1 January of the first calendar year, 366 due days, units must be known', () => {
    const limits = admissionLimits(settings(), reference);
    expect(limits).toMatchObject({ maxFutureSkewMs: 300_000, maxDueHorizonDays: 366, acceptUnknownUnits: false, units: reference.units });
    expect(limits.historyStartMs).toBe(Date.parse('2022-01-01T00:00:00+07:00'));
    expect(describeConfig('x', admissionSpec)).toContain('[default: 1 January of the first year file in DATA_DIR/calendar]');
  });

  it('takes HISTORY_START as a local date', () => {
    const limits = admissionLimits(settings({ HISTORY_START: '2022-04-01', EVENT_MAX_FUTURE_SKEW_SECONDS: '1', ACCEPT_UNKNOWN_UNITS: 'true' }), reference);
    expect(limits).toMatchObject({ historyStartMs: Date.parse('2022-04-01T00:00:00+07:00'), maxFutureSkewMs: 1000, acceptUnknownUnits: true });
  });

  it('refuses a HISTORY_START before the first day the calendar covers, and one that is no date', () => {
    expect(() => admissionLimits(settings({ HISTORY_START: '2021-12-31' }), reference)).toThrow(
      new ConfigError([
        'HISTORY_START 2021-12-31 is before 2022-01-01, the first day the working-day calendar files cover (calendar/2022.json): ' +
          'figures before it would be computed on a calendar we do not have; add the calendar file of 2021 or set HISTORY_START to 2022-01-01 or later',
      ]),
    );
    expect(() => settings({ HISTORY_START: '2022-02-30' })).toThrow(/HISTORY_START must be a date YYYY-MM-DD, got '2022-02-30'/);
  });
});

describe('reloading reference data', () => {
  let dir: string;
  let registry: Registry;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dvc-reload-'));
    cpSync(DEFAULT_DATA_DIR, dir, { recursive: true });
    registry = new Registry();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const unitsFile = () => join(dir, 'units.json');
  const editUnits = (edit: (doc: { version: string; units: Record<string, unknown>[] }) => void) => {
    const doc = JSON.parse(readFileSync(unitsFile(), 'utf8')) as { version: string; units: Record<string, unknown>[] };
    edit(doc);
    writeFileSync(unitsFile(), JSON.stringify(doc));
  };
  const unitsVersion = async () => (await metricValues(registry, 'dvc_reference_data_info')).filter((v) => v.labels.file === 'units.json');

  it('picks up a changed file, logs one line with the versions and exports the new version', async () => {
    const { logger, records } = capturingLogger();
    const data = watchReferenceData({ DATA_DIR: dir, DATA_RELOAD_INTERVAL_SECONDS: 0 }, { logger, registry, now: () => 1_764_750_000_000 });
    try {
      const before = data.current();
      expect(before.units.has('dn.new')).toBe(false);
      expect(records.filter((r) => r.msg === 'reference data loaded')).toHaveLength(1);
      expect(await metricValues(registry, 'dvc_reference_data_loaded_timestamp_seconds')).toEqual([{ labels: {}, value: 1_764_750_000 }]);
      expect(data.poll()).toBe(false);

      editUnits((doc) => {
        doc.version = 'test-2';
        doc.units.push({ id: 'dn.new', name: 'Phường Mới', level: 'commune', kind: 'commune_desk', parent: 'dn', validFrom: '2025-07-01' });
      });
      expect(data.poll()).toBe(true);
      expect(data.current().units.has('dn.new')).toBe(true);
      expect(data.current().units.version).toBe('test-2');
      // The snapshot taken before stays as it was.
      expect(before.units.has('dn.new')).toBe(false);
      expect(await unitsVersion()).toEqual([{ labels: { file: 'units.json', version: 'test-2' }, value: 1 }]);
      const loaded = records.filter((r) => r.msg === 'reference data loaded');
      expect(loaded).toHaveLength(2);
      expect(loaded[1]).toMatchObject({
        trigger: 'change',
        versions: { 'units.json': 'test-2', 'calendar/2026.json': expect.stringMatching(/^[0-9a-f]{12}$/) },
      });
      expect(data.poll()).toBe(false);
    } finally {
      data.close();
    }
  });

  it('keeps the previous data when a file is bad, names the file, counts the failure, and loads again once it is fixed', async () => {
    const { logger, records } = capturingLogger();
    const data = watchReferenceData({ DATA_DIR: dir, DATA_RELOAD_INTERVAL_SECONDS: 0 }, { logger, registry });
    try {
      const version = data.current().units.version;
      writeFileSync(unitsFile(), '{"units": [ {"id": "dn.x",');
      expect(data.poll()).toBe(false);
      expect(data.current().units.version).toBe(version);
      expect(await unitsVersion()).toEqual([{ labels: { file: 'units.json', version }, value: 1 }]);
      expect(await metricValues(registry, 'dvc_reference_data_reload_failures_total')).toEqual([{ labels: {}, value: 1 }]);
      const failed = records.filter((r) => r.level === 50);
      expect(failed).toHaveLength(1);
      expect(failed[0]?.msg).toContain(`data file ${unitsFile()} is not valid JSON`);
      expect(failed[0]?.msg).toContain('keeping the data loaded before');
      // The same bad file is not read again on every poll.
      expect(data.poll()).toBe(false);
      expect(records.filter((r) => r.level === 50)).toHaveLength(1);

      cpSync(join(DEFAULT_DATA_DIR, 'units.json'), unitsFile());
      editUnits((doc) => {
        doc.version = 'fixed';
      });
      expect(data.poll()).toBe(true);
      expect(data.current().units.version).toBe('fixed');
    } finally {
      data.close();
    }
  });

  it('notices a calendar year file added or removed', () => {
    const { logger } = capturingLogger();
    const data = watchReferenceData({ DATA_DIR: dir, DATA_RELOAD_INTERVAL_SECONDS: 0 }, { logger, registry });
    try {
      const years = data.current().calendar.years;
      expect(years.length).toBeGreaterThan(1);
      unlinkSync(join(dir, 'calendar', `${years[years.length - 1]}.json`));
      expect(data.poll()).toBe(true);
      expect(data.current().calendar.years).toEqual(years.slice(0, -1));
    } finally {
      data.close();
    }
  });

  it('reloads on SIGHUP even when nothing changed', () => {
    const { logger, records } = capturingLogger();
    const data = watchReferenceData({ DATA_DIR: dir, DATA_RELOAD_INTERVAL_SECONDS: 0 }, { logger, registry });
    try {
      process.emit('SIGHUP', 'SIGHUP');
      expect(records.filter((r) => r.msg === 'reference data loaded').map((r) => r.trigger)).toEqual(['start', 'SIGHUP']);
    } finally {
      data.close();
    }
    process.emit('SIGHUP', 'SIGHUP');
    expect(records.filter((r) => r.msg === 'reference data loaded')).toHaveLength(2);
  });

  it('refuses a calendar change that no longer covers HISTORY_START, and refuses to start on one', () => {
    const { logger, records } = capturingLogger();
    const config = { DATA_DIR: dir, DATA_RELOAD_INTERVAL_SECONDS: 0, ...loadConfig(admissionSpec, { HISTORY_START: '2022-05-01' }) };
    const data = watchAdmittingReference(config, { logger, registry });
    try {
      expect(data.current().admission.historyStartMs).toBe(Date.parse('2022-05-01T00:00:00+07:00'));
      unlinkSync(join(dir, 'calendar', '2022.json'));
      expect(data.poll()).toBe(false);
      expect(data.current().reference.calendar.years[0]).toBe(2022);
      expect(records.find((r) => r.level === 50)?.msg).toContain('HISTORY_START 2022-05-01 is before 2023-01-01');
      expect(() => watchAdmittingReference(config, { logger, registry: new Registry() })).toThrow(ConfigError);
    } finally {
      data.close();
    }
  });
});
