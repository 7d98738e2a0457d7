#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { admissionSpec, int, str, watchReferenceData, watchedDataSpec, type VarSpec } from '@dvc/config';
import { eventStoreSpec, openEventStore } from '@dvc/eventstore';
import { DEFAULT_KEYS_FILE, KEYS_RELOADS_HELP, KeyRateLimiter, serviceKeysFile } from '@dvc/keys';
import { buildInfo, counter, listenSpec, runMain } from '@dvc/service';
import { createApp } from './app.js';
import { OPENAPI_FILE } from './openapi.js';
import { createTokenCodec } from './token.js';

const MIN_SECRET_CHARS = 16;

const secrets: VarSpec<string[]> = {
  doc: `secrets that sign resume tokens, comma-separated, each at least ${MIN_SECRET_CHARS} characters: the first signs, all verify (rotation); the same on every instance`,
  parse: (raw) => {
    const items = raw.split(',').map((s) => s.trim());
    const short = items.findIndex((s) => s.length < MIN_SECRET_CHARS);
    return short === -1 ? { ok: true, value: items } : { ok: false, reason: `secret #${short + 1} is shorter than ${MIN_SECRET_CHARS} characters` };
  },
};

const spec = {
  ...eventStoreSpec,
  ...watchedDataSpec,
  ACCEPT_UNKNOWN_UNITS: admissionSpec.ACCEPT_UNKNOWN_UNITS,
  ...listenSpec('replay-api', 8091, 'HTTP port of the replay API'),
  REPLAY_KEYS_FILE: str('API keys file (JSON, hashes only; managed with `dvc keys`); reloaded when it changes', DEFAULT_KEYS_FILE),
  REPLAY_TOKEN_SECRETS: secrets,
  REPLAY_MAX_TAILS_PER_KEY: int('live tails (follow=true) one key may hold open at once', 4, 1, 1000),
  REPLAY_HEARTBEAT_MS: int('longest silence on a live tail before a heartbeat line (ms)', 15_000, 50, 300_000),
  REPLAY_POLL_MS: int('how often a caught-up live tail looks for new events (ms)', 250, 10, 60_000),
  REPLAY_BATCH_SIZE: int('events read from the store per query', 500, 1, 10_000),
};

await runMain('replay-api', {
  description: 'serves the event history to integrators as NDJSON (GET /v1/events) with resume tokens, filters, live tail and scoped API keys',
  spec,
  start: async ({ config, limits, registry, logger }) => {
    const reloads = counter(registry, 'dvc_replay_keys_reloads_total', KEYS_RELOADS_HELP, ['outcome']);
    const keys = serviceKeysFile('REPLAY_KEYS_FILE', config.REPLAY_KEYS_FILE, { logger, now: Date.now, reloaded: (outcome) => reloads.inc({ outcome }) });
    // Bad reference data stops the start before the store opens.
    const data = watchReferenceData(config, { logger, registry });
    const store = openEventStore(config.EVENTSTORE_URL);
    const app = createApp({
      store,
      keys,
      tokens: createTokenCodec(config.REPLAY_TOKEN_SECRETS),
      limiter: new KeyRateLimiter(Date.now),
      registry,
      logger,
      build: buildInfo('replay-api', new URL('../package.json', import.meta.url)),
      openapi: readFileSync(OPENAPI_FILE, 'utf8'),
      units: () => ({ directory: data.current().units, acceptUnknownUnits: config.ACCEPT_UNKNOWN_UNITS }),
      now: Date.now,
      batchSize: config.REPLAY_BATCH_SIZE,
      pollMs: config.REPLAY_POLL_MS,
      heartbeatMs: config.REPLAY_HEARTBEAT_MS,
      maxTailsPerKey: config.REPLAY_MAX_TAILS_PER_KEY,
      limits,
    });
    return {
      server: app.server,
      listening: async (port) => logger.info({ port, keys: keys.current().size, head: await store.head() }, 'replay API listening'),
      close: async () => {
        await app.close();
        data.close();
        await store.close();
      },
    };
  },
});
