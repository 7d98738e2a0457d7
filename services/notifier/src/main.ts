#!/usr/bin/env node
import { mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Counter } from 'prom-client';
import {
  ConfigError,
  DEFAULT_DATA_DIR,
  clockSetting,
  clockSpec,
  watchedDataSpec,
  describeClock,
  int,
  loadReferenceData,
  referenceDataPaths,
  reloadingData,
  stackRunDir,
  str,
  url,
  type VarSpec,
} from '@dvc/config';
import { prometheusClient } from '@dvc/metrics';
import { createLiveView } from '@dvc/read-model';
import { DEFAULT_KEYS_FILE, KeysFileError, watchedKeysFile, type KeysSource } from '@dvc/keys';
import { createRedisClient, redisSpec } from '@dvc/redis';
import { buildInfo, listenSpec, runMain } from '@dvc/service';
import { createApp } from './app.js';
import { readTokenFile, tokenChecker } from './auth.js';
import { endChecker } from './confirm.js';
import { createSmtpSender, createWebhookSender } from './delivery.js';
import { formatOfficeHours, officeClock, parseOfficeHours, type OfficeHours } from './office.js';
import { Outbox } from './outbox.js';
import { liveOverdueReader } from './overdue.js';
import { loadRecipients, unlistedRecipientUnits } from './recipients.js';

const spec = {
  ...redisSpec,
  ...watchedDataSpec,
  ...clockSpec,
  ...listenSpec('notifier', 8090, 'HTTP port of the Alertmanager webhook, /v1/notices, /metrics'),
  NOTIFIER_DB: str('SQLite file of the outbox (created if missing)', join(stackRunDir(process.env), 'notifier', 'outbox.db')),
  RECIPIENTS_FILE: str('who receives notices, by unit and level (JSON)', join(DEFAULT_DATA_DIR, 'recipients.json')),
  DASHBOARD_URL: url(
    "page linked from notices: with {unit}, the unit id goes there (the ops board's worklist of the unit, the default; a notice about no unit links the board's start page); otherwise a Grafana panel, var-unit/var-level/var-window appended",
    'http://127.0.0.1:8088/#/don-vi/{unit}',
    ['http:', 'https:'],
  ),
  SMTP_URL: url('mail server, smtp://[user:pass@]host:port or smtps://…', 'smtp://127.0.0.1:25', ['smtp:', 'smtps:']),
  MAIL_FROM: str('sender of the notices', 'Hệ thống theo dõi DVC <canhbao-dvc@example.gov.vn>'),
  NOTIFIER_TOKEN_FILE: str(
    "file holding the bearer token Alertmanager sends to /v1/alertmanager (its receiver's http_config credentials_file; at least 32 characters, mode 0600; scripts/stack.sh creates it); read at start",
    join(stackRunDir(process.env), 'notifier', 'alertmanager-token'),
  ),
  NOTIFIER_KEYS_FILE: str(
    'API keys file (JSON, hashes only; managed with `dvc keys`): /v1/notices takes keys of the role operator; reloaded when it changes',
    DEFAULT_KEYS_FILE,
  ),
  NOTIFIER_OFFICE_HOURS: {
    doc: "when heads of units are told: e-mail about units (no critical alert among them) found due outside these hours, local time (Asia/Ho_Chi_Minh), on the calendar's working days waits for the next opening and is written again then, with that morning's dossiers; HH:MM-HH:MM, or 'always' to send every notice when it comes. Critical alerts, pipeline alerts and webhooks always go out at once",
    default: { open: 7 * 60 + 30, close: 17 * 60 },
    defaultText: '07:30-17:00',
    parse: parseOfficeHours,
  } satisfies VarSpec<OfficeHours | 'always'>,
  NOTIFIER_POLL_MS: int('how often the outbox is checked for due deliveries (ms)', 1000, 50, 60_000),
  NOTIFIER_RESOLVED_HOLD_SECONDS: int(
    'how long a resolved notice about units waits before it is sent; if the alert fires again meanwhile (its series vanished for a while: an exporter or Prometheus restart), the resolution and the repeated warning are not sent. Longer than a restart plus the longest `for` of the unit alerts (15 min); 0 sends at once',
    1800,
    0,
    86_400,
  ),
  PROMETHEUS_URL: url(
    "Prometheus that evaluates the alert rules: a held resolution of a unit's alerts is sent only once it answers, has run 5 minutes (or the hold, if shorter), no longer holds the alert and holds no critical alert of the monitoring system",
    'http://127.0.0.1:9090',
    ['http:', 'https:'],
  ),
  NOTIFIER_RETRY_BASE_MS: int('delay after the first failed delivery attempt; doubles per failure (ms)', 5000, 10, 3_600_000),
  NOTIFIER_RETRY_MAX_MS: int('longest delay between delivery attempts (ms)', 600_000, 10, 86_400_000),
  NOTIFIER_SEND_TIMEOUT_MS: int('timeout of one SMTP or webhook attempt (ms)', 10_000, 100, 120_000),
};

await runMain('notifier', {
  description: 'receives Alertmanager webhooks and delivers Vietnamese breach notices by email and webhook through a persisted outbox',
  spec,
  start: async ({ config, limits, registry: processRegistry, logger }) => {
    const clock = clockSetting(config);
    const alertmanagerToken = tokenChecker(readTokenFile(config.NOTIFIER_TOKEN_FILE, 'NOTIFIER_TOKEN_FILE'));
    const keyReloads = new Counter({
      name: 'dvc_notifier_keys_reloads_total',
      help: 'Reloads of the keys file after it changed, by outcome (ok, invalid: previous keys kept)',
      labelNames: ['outcome'],
      registers: [processRegistry],
    });
    let keys: KeysSource;
    try {
      keys = watchedKeysFile(config.NOTIFIER_KEYS_FILE, {
        now: Date.now,
        checkIntervalMs: 1000,
        onReload: (count) => {
          keyReloads.inc({ outcome: 'ok' });
          logger.info({ file: config.NOTIFIER_KEYS_FILE, keys: count }, 'keys file reloaded');
        },
        onError: (error) => {
          keyReloads.inc({ outcome: 'invalid' });
          logger.error({ file: error.file, problems: error.problems }, 'keys file changed but is invalid; previous keys kept');
        },
      });
    } catch (error) {
      if (error instanceof KeysFileError) throw new ConfigError([`NOTIFIER_KEYS_FILE: ${error.message}`]);
      throw error;
    }
    // The unit directory and the recipients, reloaded without a restart when their files change.
    const data = reloadingData({
      what: 'reference data',
      paths: () => [...referenceDataPaths(config.DATA_DIR), config.RECIPIENTS_FILE],
      load: () => {
        const reference = loadReferenceData(config.DATA_DIR);
        const recipients = loadRecipients(config.RECIPIENTS_FILE);
        const unlisted = unlistedRecipientUnits(recipients.book, reference.units);
        if (unlisted.length > 0) {
          logger.warn(
            { file: config.RECIPIENTS_FILE, units: unlisted, directory: reference.units.version },
            'the recipients file names units the unit directory does not list: their heads are never told (check the spelling)',
          );
        }
        return {
          value: { units: reference.units, calendar: reference.calendar, days: reference.days, recipients: recipients.book },
          files: [...reference.files, { file: basename(config.RECIPIENTS_FILE), version: recipients.version }],
        };
      },
      intervalMs: config.DATA_RELOAD_INTERVAL_SECONDS * 1000,
      logger,
      registry: processRegistry,
    });
    mkdirSync(dirname(config.NOTIFIER_DB), { recursive: true });
    const outbox = new Outbox(config.NOTIFIER_DB, Date.now, { baseMs: config.NOTIFIER_RETRY_BASE_MS, maxMs: config.NOTIFIER_RETRY_MAX_MS });
    const redis = createRedisClient({ url: config.REDIS_URL, connectionName: 'dvc-notifier' });
    // A notice must not wait on Redis: without it, it goes out without the dossier list.
    redis.on('error', (error) => logger.warn({ err: error.message }, 'redis error'));
    const smtp = createSmtpSender({ url: config.SMTP_URL, from: config.MAIL_FROM, timeoutMs: config.NOTIFIER_SEND_TIMEOUT_MS });
    const app = createApp({
      outbox,
      reference: () => data.current(),
      overdue: liveOverdueReader(redis, createLiveView({ redis, base: config.REDIS_NAMESPACE, clock, wall: Date.now }), 2000),
      senders: { email: smtp.send, webhook: createWebhookSender(config.NOTIFIER_SEND_TIMEOUT_MS) },
      dashboardUrl: config.DASHBOARD_URL,
      now: Date.now,
      logger,
      build: buildInfo('notifier', new URL('../package.json', import.meta.url)),
      processRegistry,
      pollMs: config.NOTIFIER_POLL_MS,
      ...(config.NOTIFIER_OFFICE_HOURS === 'always' ? {} : { office: officeClock(config.NOTIFIER_OFFICE_HOURS, () => data.current()) }),
      resolvedHoldMs: config.NOTIFIER_RESOLVED_HOLD_SECONDS * 1000,
      checkEnd: endChecker(
        prometheusClient(config.PROMETHEUS_URL, 5000),
        config.PROMETHEUS_URL,
        Math.min(300_000, config.NOTIFIER_RESOLVED_HOLD_SECONDS * 1000),
      ),
      redisPing: () => redis.ping().then(() => true),
      limits,
      alertmanagerToken,
      keys,
    });
    return {
      server: app.server,
      listening: (port) => {
        app.start();
        logger.info(
          {
            port,
            db: config.NOTIFIER_DB,
            pending: outbox.counts().pending,
            clock: describeClock(clock),
            base: config.REDIS_NAMESPACE,
            officeHours: config.NOTIFIER_OFFICE_HOURS === 'always' ? 'always' : formatOfficeHours(config.NOTIFIER_OFFICE_HOURS),
          },
          'notifier listening',
        );
      },
      close: async () => {
        await app.close();
        data.close();
        smtp.close();
        outbox.close();
        redis.disconnect();
      },
    };
  },
});
