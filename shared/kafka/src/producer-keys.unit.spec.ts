import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { ConfigError, loadConfig } from '@dvc/config';
import { DEFAULT_KEYS_FILE, addKey, writeKeysFile } from '@dvc/keys';
import { PRODUCER_KEYS_OFF, producerGateFromFile, producerKeysSpec } from './producer-keys.js';

/** A logger whose lines are kept, to see the warning of PRODUCER_KEYS_FILE=off. */
function recordingLogger(): { logger: pino.Logger; lines: () => { level: number; msg: string }[] } {
  const chunks: string[] = [];
  const logger = pino({ level: 'info' }, { write: (chunk: string) => void chunks.push(chunk) });
  return { logger, lines: () => chunks.map((c) => JSON.parse(c) as { level: number; msg: string }) };
}

describe('PRODUCER_KEYS_FILE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dvc-producer-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults to the keys file the ingest reads by default, so the check is on', () => {
    expect(loadConfig(producerKeysSpec, {}).PRODUCER_KEYS_FILE).toBe(DEFAULT_KEYS_FILE);
  });

  it('is off only when set to off, with a warning', () => {
    const { logger, lines } = recordingLogger();
    expect(producerGateFromFile(PRODUCER_KEYS_OFF, { logger, registry: new Registry(), now: Date.now })).toBeUndefined();
    expect(lines().map((l) => [l.level, l.msg])).toEqual([
      [40, 'PRODUCER_KEYS_FILE=off: the producers of the events topic are not checked; any system that can write the topic is accepted'],
    ]);
  });

  it('stops the start when the file is missing, saying how to create a key or turn the check off', () => {
    const missing = join(dir, 'missing.json');
    const start = () => producerGateFromFile(missing, { logger: pino({ level: 'silent' }), registry: new Registry(), now: Date.now });
    expect(start).toThrow(ConfigError);
    expect(start).toThrow(
      `PRODUCER_KEYS_FILE: keys file ${missing}: does not exist; create a key with \`dvc keys create\` (create a producer key with \`dvc keys create --role producer\`, or set PRODUCER_KEYS_FILE=off to accept every producer)`,
    );
  });

  it('checks producers against the file when it exists', () => {
    const file = join(dir, 'keys.json');
    const created = addKey(
      { version: 1, keys: [] },
      { id: 'portal', role: 'producer', units: '*', types: '*', ratePerMinute: 60 },
      new Date('2026-01-01T00:00:00Z'),
    );
    if (!created.ok) throw new Error(created.problems.join('; '));
    writeKeysFile(file, created.value.file);
    const gate = producerGateFromFile(file, { logger: pino({ level: 'silent' }), registry: new Registry(), now: Date.now });
    expect(gate?.identify('portal').ok).toBe(true);
    expect(gate?.identify('other')).toMatchObject({ ok: false, code: 'unauthenticated' });
  });
});
