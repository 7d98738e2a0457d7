import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createLogger, DEFAULT_DATA_DIR, loadConfig, loadReferenceData, projectionRules, type ReferenceData } from '@dvc/config';
import { statutoryDaysOff, validateEvent, type DvcEvent } from '@dvc/domain';
import { openEventStore } from '@dvc/eventstore';
import { createKafka, ensureTopics, kafkaSpec } from '@dvc/kafka';
import { deleteTestTopics } from '@dvc/kafka/testing';
import { Keys, resolveActiveNamespace, unlinkMatching } from '@dvc/read-model';
import { ProjectionStore, applyEvents } from '@dvc/redis';
import { uniqueName } from '@dvc/testing';
import { run } from './cli.js';
import type { CliIo } from './io.js';
import { namespaceSeries } from './rebuild.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';

/** The end (23:59:59.999, Vietnam time) of a local day, as the projection stores due times. */
const endOf = (date: string): number => Date.parse(`${date}T23:59:59.999+07:00`);

/**
 * Issue 10's done-when through the real projection: with only the calendar files of 2022–2026,
 * a dossier received on 31/12/2026 with 1 working day is due at the end of 4/1/2027 (1/1/2027 is
 * off by law). Then the operator's procedure of infra/data/README.md: a 2027 file is checked,
 * deployed, and a rebuild recomputes the due date from it.
 */
describe('the working-day calendar at the end of 2026, through the projection and a rebuild', () => {
  const redis = new Redis(redisUrl);
  const base = uniqueName('cal').replace(/[^a-z0-9-]/g, '');
  const unit = `${base}-u1`;
  const dossier = `${base}-D1`;
  const dir = mkdtempSync(join(tmpdir(), 'dvc-cli-calendar-'));
  const dataDir = join(dir, 'data');
  const storeUrl = `sqlite:${join(dir, 'events.sqlite')}`;
  const logger = createLogger('test', 'silent');
  const settings = { RESULT_RETURN_WORKING_DAYS: 2, RECEIPT_WORKING_DAYS: 1, RETENTION_DAYS: 0 };
  const env = {
    REDIS_URL: redisUrl,
    KAFKA_BROKERS: brokers,
    REDIS_NAMESPACE: base,
    EVENTSTORE_URL: storeUrl,
    EVENTS_TOPIC: `${base}.events`,
    ARCHIVER_GROUP: `${base}.archiver`,
    TOPIC_PARTITIONS: '1',
    DATA_DIR: dataDir,
    // The test's unit is made up (not in units.json): pilot mode admits it.
    ACCEPT_UNKNOWN_UNITS: 'true',
  };
  const kafka = createKafka(loadConfig(kafkaSpec, { KAFKA_BROKERS: brokers }), 'cli-test', logger);
  const receivedAt = '2026-12-31T09:00:00+07:00';
  const parsed = validateEvent({
    specversion: '1.0',
    id: `${dossier}-rcv`,
    source: 'test/cli',
    type: 'vn.dvc.dossier.received',
    time: receivedAt,
    subject: dossier,
    unitid: unit,
    data: { dossierId: dossier, unitId: unit, procedureId: 'P-TEST', channel: 'online', receivedAt, processingDays: 1 },
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const events: DvcEvent[] = [parsed.event];

  const bufferIo = (now: number): CliIo & { out: () => string; err: () => string } => {
    const out: string[] = [];
    const err: string[] = [];
    let t = now;
    return {
      env,
      now: () => t++,
      stdout: { write: (c: string) => out.push(c) },
      stderr: { write: (c: string) => err.push(c) },
      out: () => out.join(''),
      err: () => err.join(''),
    };
  };
  const storedDueAt = async (namespace: string): Promise<number> => {
    const raw = await redis.get(new ProjectionStore(redis, namespace).keys.state(unit, `dossier:${dossier}`));
    if (raw === null) throw new Error(`no state of ${dossier} in ${namespace}`);
    return (JSON.parse(raw.slice(raw.indexOf('|') + 1)) as { dueAt: number }).dueAt;
  };
  const openStates = async (reference: ReferenceData, namespace: string, at: string) => {
    const series = await namespaceSeries({
      redis,
      reference,
      namespace,
      at: { namespace, keys: new Keys(namespace), nowMs: Date.parse(at), wallMs: Date.parse(at), clockMode: 'wall' },
    });
    const open = (state: string) => series.get(`dvc_dossiers_open{unit="${unit}",level="unknown",state="${state}"}`);
    return { in_time: open('in_time'), overdue: open('overdue') };
  };

  beforeAll(async () => {
    // DATA_DIR with the repository's reference data and only the calendar files of 2022–2026.
    mkdirSync(join(dataDir, 'calendar'), { recursive: true });
    for (const f of ['units.json', 'targets.json', 'procedures.json']) copyFileSync(join(DEFAULT_DATA_DIR, f), join(dataDir, f));
    for (const year of [2022, 2023, 2024, 2025, 2026])
      copyFileSync(join(DEFAULT_DATA_DIR, 'calendar', `${year}.json`), join(dataDir, 'calendar', `${year}.json`));
    const store = openEventStore(storeUrl);
    await store.append(events);
    await store.close();
    await ensureTopics(kafka, [env.EVENTS_TOPIC], 1);
  });

  afterAll(async () => {
    // The test's namespaces: <base>:… and <base>.<suffix>:…
    await unlinkMatching(redis, `${base}[:.]*`);
    redis.disconnect();
    await deleteTestTopics(kafka, [env.EVENTS_TOPIC]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('with only 2022–2026: received 31/12/2026 with 1 working day, due at the end of 4/1/2027, overdue on 5/1', async () => {
    const reference = loadReferenceData(dataDir);
    expect(reference.calendar.years).toEqual([2022, 2023, 2024, 2025, 2026]);
    const rules = projectionRules(reference, settings);
    const wallMs = Date.parse('2026-12-31T09:00:01+07:00');
    // The live projection, as the projector writes it.
    await applyEvents(new ProjectionStore(redis, base), events, rules.ctxAt(wallMs), () => wallMs, rules.expireAt);
    expect(await storedDueAt(base)).toBe(endOf('2027-01-04'));
    expect(await openStates(reference, base, '2027-01-04T23:59:00+07:00')).toEqual({ in_time: 1, overdue: 0 });
    expect(await openStates(reference, base, '2027-01-05T00:01:00+07:00')).toEqual({ in_time: 0, overdue: 1 });
  });

  it('after a 2027 file is checked and deployed, dvc rebuild shows the new due date and --force switches to it', async () => {
    // A test notice (not a real one): the fallback's days off plus Monday 4/1/2027 swapped with Saturday 9/1/2027.
    const file = join(dataDir, 'calendar', '2027.json');
    writeFileSync(
      file,
      JSON.stringify({
        year: 2027,
        zone: 'Asia/Ho_Chi_Minh',
        daysOff: [
          ...statutoryDaysOff(2027).map((d) => ({ date: new Date(d.day * 86_400_000).toISOString().slice(0, 10), name: d.name })),
          { date: '2027-01-04', name: 'Nghỉ hoán đổi, làm bù thứ Bảy 09/01/2027 (day off swapped with the working Saturday 9 January 2027; a test notice)' },
        ].sort((a, b) => a.date.localeCompare(b.date)),
        workingSaturdays: [{ date: '2027-01-09', name: 'Làm bù cho thứ Hai 04/01/2027 (make-up working day for Monday 4 January 2027; a test notice)' }],
        sources: ['a test notice'],
      }),
    );
    const check = bufferIo(Date.parse('2027-01-05T08:00:00+07:00'));
    expect(await run(['calendar', 'check', file], check)).toBe(0);
    expect(check.out()).toContain('  other days off: adds 2027-01-04 "Nghỉ hoán đổi');

    // --switch refuses: the rebuilt projection differs (that is the point), and says where.
    const compare = bufferIo(Date.parse('2027-01-05T08:00:00+07:00'));
    expect(await run(['rebuild', '--switch'], compare)).toBe(1);
    expect(compare.out()).toContain(`dvc_dossiers_open{unit="${unit}",level="unknown",state="overdue"}: live 1, rebuilt 0`);
    expect(compare.out()).toContain(`dvc_dossiers_open{unit="${unit}",level="unknown",state="in_time"}: live 0, rebuilt 1`);
    expect(compare.out()).toContain(`{${unit}}:s:dossier:${dossier}: live `);
    expect(compare.out()).toContain('not switched:');
    expect(await resolveActiveNamespace(redis, base)).toBe(base);

    const force = bufferIo(Date.parse('2027-01-05T08:00:05+07:00'));
    expect(await run(['rebuild', '--force'], force)).toBe(0);
    const active = await resolveActiveNamespace(redis, base);
    expect(force.out()).toContain(`switched ${base}: ${base} -> ${active} (forced, with the differences above)`);
    expect(await storedDueAt(active)).toBe(endOf('2027-01-05'));
    expect(await storedDueAt(base)).toBe(endOf('2027-01-04')); // the old namespace is kept as it was
    const reference = loadReferenceData(dataDir);
    expect(reference.calendar.sourceOf(2027)).toBe('official');
    expect(await openStates(reference, active, '2027-01-05T08:00:00+07:00')).toEqual({ in_time: 1, overdue: 0 });
    expect(await openStates(reference, active, '2027-01-06T00:01:00+07:00')).toEqual({ in_time: 0, overdue: 1 });
  });
});
