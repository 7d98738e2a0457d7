#!/usr/bin/env node
// dvc-scenario: sends the Bình Phước 2022 case or the start-up sample to an ingest, writes the
// case to files, and keeps the load-once bookkeeping of DEMO=binh-phuoc-2022 (see --help).
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, createLogger, describeConfig, loadConfig, stackRunDir } from '@dvc/config';
import { DEMO_SEED, checkDemo, demoSpec, markDemo, resetDemo, withDemoContext } from './demo.js';
import { DEMO_CASE } from './demo-state.js';
import { CLOCK, FIGURES, PERIOD, PLAN, generateBinhPhuoc2022 } from './generate.js';
import { PRODUCER_KEY_VARIABLE, postEvents } from './ingest.js';
import { progressBar } from './progress.js';
import { sampleDay, sampleEvents } from './sample.js';
import { DvcError, type UnitRecord } from '@dvc/domain';

const HELP = `usage: dvc-scenario <command> [options]
(in the repository: node shared/scenario/dist/cli.js <command> [options])

commands:
  binh-phuoc-2022   generate the Bình Phước 2022 case and send it to an ingest and/or write it
  demo <check|mark|reset>
                    load-once bookkeeping of DEMO=${DEMO_CASE} npm start
  sample            post a small sample of the last ten days to an ingest (plain npm start)

Run dvc-scenario <command> --help for a command's options.`;

const BINH_PHUOC_HELP = `usage: dvc-scenario binh-phuoc-2022 [options]

Generates the event history of Bình Phước province's public-service units (departments,
district desks, land registration branches, commune desks) whose figures for the period
window "${PERIOD.id}" (${PERIOD.from} .. ${PERIOD.to}, as of ${CLOCK}: CLOCK_AS_OF) are exactly
those of the June 2022 meeting: ${FIGURES.received} received, ${FIGURES.carriedOver} carried over,
${FIGURES.resolved} resolved (${FIGURES.resolvedOverdue} overdue), ${FIGURES.open} open (${FIGURES.openOverdue} overdue),
${FIGURES.withdrawn} withdrawn, ${FIGURES.feeOnline.count} online fee payments (${FIGURES.feeOnline.vnd} VND),
${FIGURES.landObligationOnline.count} online land-obligation payments (${FIGURES.landObligationOnline.vnd} VND),
${FIGURES.reportsOnline} online reports, ${FIGURES.teams.commune.teams}/${FIGURES.teams.village.teams} community teams,
${FIGURES.provinceWithOnlineDossiers}/${FIGURES.provinceOnlineCapable} province online services used; before 1 June (the
period "bp-2022-may"): ${PLAN.resolvedMay} resolved, ${PLAN.resolvedMayOverdue} overdue, ${PLAN.processedOnlineMay} processed online, and every dossier
resolved from 1 June processed online.
Every figure is recounted from the generated events before anything is written; a mismatch
aborts with exit code 1.

options:
  --seed N              PRNG seed (default 2022); same seed, same events and ids
  --units FILE          unit directory (default infra/data/units.json)
  --out FILE.ndjson     write the events, one JSON object per line, in time order
  --ingest URL          POST to the ingest API (URL or URL/v1/events) as
                        application/cloudevents-batch+json, with the producer key
                        in INGEST_KEY (Authorization: Bearer)
  --batch N             events per HTTP batch and written chunk (default 5000, max 5000)
  --expected FILE.json  write the expected figures (recounted from the events)
  --receipt FILE.json   once the ingest accepted every event, write
                        {"case", "seed", "events"} (dvc-scenario demo mark reads it)
  -h, --help            this text

Progress (percent, events/s, ETA) goes to stderr. Exit codes: 0 done, 1 generation or sending
failed, 2 bad usage.`;

const DEMO_HELP = `usage: dvc-scenario demo <check|mark|reset> [--receipt FILE.json]

Load-once bookkeeping of the ${DEMO_CASE} demo of \`DEMO=${DEMO_CASE} npm start\`
(scripts/start.sh runs it; \`npm run demo:reset\` runs reset).

  check   exit 0 when the case is loaded where the environment points and can be reused:
          its marker exists, was written with the same settings (topics, groups, Redis
          namespace and URL, event store, seed) and the same generator and reference data,
          and Kafka (same cluster), the topic, the live projection and the event store still
          hold at least what they held after the load. Exit 1, with the reason, when it must
          be loaded (again).
  mark    after the ingest accepted every event of --receipt (written by
          dvc-scenario binh-phuoc-2022 --receipt): waits until the projector and the
          archiver have consumed the whole topic, then writes the marker.
  reset   deletes the demo's topics, consumer groups, the Redis keys of its namespace (and
          of the namespaces rebuilt from it; never a flush), its event store file (SQLite)
          and the marker. Refused while a consumer of the demo still runs.

Marker: <run folder>/demo/${DEMO_CASE}.json (run folder: STACK_RUN_DIR, default <repo>/.run).
Exit codes: 0 done (check: reusable), 1 check: must be loaded, 2 bad usage or configuration,
3 failed (Kafka, Redis or the event store not reachable, reset refused, mark timed out).
${describeConfig("The services' own variables say where the demo is; DEMO_MARK_TIMEOUT_S how long mark waits.", demoSpec)}`;

const SAMPLE_HELP = `usage: dvc-scenario sample [--ingest URL] [--dossiers N] [--seed S]

Posts a sample history (received, supplements, resolutions on time and overdue, results returned, withdrawals,
digitization, payments, reports, online submissions never received) for five post-reform Đồng Nai units of infra/data/units.json,
dated over the ten days before today (local time, UTC+7): dossiers received and resolved in
office hours on the working days of infra/data/calendar, each with its procedure's processing
days and no dueAt (the services derive the due time by the working-day rule), to URL/v1/events (default
http://127.0.0.1:8080), with the producer key in INGEST_KEY (Authorization: Bearer; a key of
role producer for those units). Every run of one day sends the same events, ids included, so a
second start that day adds nothing: the projector and the event store count each event once
(a sample of another version of this tool the same day is other events).
Exit codes: 0 accepted, 1 refused by the ingest, 2 bad usage.`;

/** Bad usage: exit code 2 with the message and a pointer to --help. */
class UsageError extends DvcError {
  readonly code = 'DVC_SCENARIO_USAGE';
}

const say = (prefix: string) => (line: string) => process.stderr.write(`${prefix}: ${line}\n`);

function integer(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  const text = raw ?? String(fallback);
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got '${text}'`);
  return n;
}

/** Parses -h/--help and the named string options (each `--name VALUE`), with positionals. */
function parse(args: string[], names: readonly string[]): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const options = Object.fromEntries(names.map((name) => [name, { type: 'string' as const }]));
  try {
    return parseArgs({ args, options: { help: { type: 'boolean', short: 'h' }, ...options }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The producer key the ingest is posted with (INGEST_KEY); its absence is bad usage. */
function producerKey(): string {
  const key = process.env[PRODUCER_KEY_VARIABLE];
  if (key === undefined || key.trim() === '') {
    throw new UsageError(`${PRODUCER_KEY_VARIABLE} must hold a producer key for the ingest (dvc keys create --role producer ...; npm start makes one)`);
  }
  return key.trim();
}

async function binhPhuoc(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, ['seed', 'units', 'out', 'ingest', 'batch', 'expected', 'receipt']);
  if (values.help === true) {
    console.log(BINH_PHUOC_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const opt = (name: string): string | undefined => values[name] as string | undefined;
  const seed = integer('seed', opt('seed'), 2022, 0, 2 ** 32 - 1);
  const batchSize = integer('batch', opt('batch'), 5000, 1, 5000);
  const [out, ingest, expectedFile, receipt, unitsFile] = [opt('out'), opt('ingest'), opt('expected'), opt('receipt'), opt('units')];
  if (out === undefined && ingest === undefined && expectedFile === undefined) throw new UsageError('nothing to do: give --out, --ingest and/or --expected');
  const key = ingest === undefined ? '' : producerKey();
  const log = say('binh-phuoc-2022');

  log(`generating and self-checking the scenario (seed ${seed}) ...`);
  const started = Date.now();
  let generated: ReturnType<typeof generateBinhPhuoc2022>;
  try {
    const units = unitsFile === undefined ? undefined : (JSON.parse(readFileSync(unitsFile, 'utf8')) as { units: UnitRecord[] });
    generated = generateBinhPhuoc2022({ seed, ...(units === undefined ? {} : { units }) });
  } catch (error) {
    log((error as Error).message);
    return 1;
  }
  const { events, expected } = generated;
  log(
    `seed ${seed}: ${events.length.toLocaleString('en-US')} events generated and self-checked in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
      `(clock ${expected.clock}; received ${expected.received}, carried over ${expected.carriedOver}, resolved ${expected.resolved}/${expected.resolvedOverdue} overdue, ` +
      `open ${expected.open}/${expected.openOverdue} overdue, withdrawn ${expected.withdrawn})`,
  );
  if (expectedFile !== undefined) {
    writeFileSync(expectedFile, `${JSON.stringify(expected, null, 2)}\n`);
    log(`expected figures written to ${expectedFile}`);
  }
  if (out !== undefined) {
    const bar = progressBar('write ', events.length);
    const file = createWriteStream(out);
    for (let i = 0; i < events.length; i += batchSize) {
      const slice = events.slice(i, i + batchSize);
      if (!file.write(`${slice.map((e) => JSON.stringify(e)).join('\n')}\n`)) await once(file, 'drain');
      bar.tick(slice.length);
    }
    file.end();
    await once(file, 'finish');
    bar.finish();
  }
  if (ingest !== undefined) {
    const bar = progressBar('ingest', events.length);
    try {
      await postEvents(ingest, key, events, batchSize, bar);
    } catch (error) {
      process.stderr.write('\n');
      log((error as Error).message);
      return 1;
    }
    bar.finish();
    if (receipt !== undefined) {
      writeFileSync(receipt, `${JSON.stringify({ case: DEMO_CASE, seed, events: events.length })}\n`);
      log(`every event accepted; receipt written to ${receipt}`);
    }
  }
  return 0;
}

async function demo(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, ['receipt']);
  const [command, ...extra] = positionals;
  if (values.help === true || command === undefined) {
    (command === undefined && values.help !== true ? console.error : console.log)(DEMO_HELP);
    return values.help === true ? 0 : 2;
  }
  if (command !== 'check' && command !== 'mark' && command !== 'reset') throw new UsageError(`unknown demo command '${command}'`);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  const receipt = values.receipt as string | undefined;
  if (command === 'mark' && receipt === undefined) throw new UsageError('mark needs --receipt FILE.json (written by dvc-scenario binh-phuoc-2022 --receipt)');
  const config = loadConfig(demoSpec, process.env);
  const markerFile = join(stackRunDir(process.env), 'demo', `${DEMO_CASE}.json`);
  const logger = createLogger(`dvc-demo-${command}`, process.env.LOG_LEVEL ?? 'warn', { stream: 'stderr' });
  return withDemoContext(config, markerFile, `dvc-demo-${command}`, logger, say(`demo ${DEMO_CASE}`), async (ctx) => {
    if (command === 'check') return checkDemo(ctx);
    if (command === 'mark') await markDemo(ctx, receipt as string);
    else await resetDemo(ctx);
    return 0;
  });
}

async function sample(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, ['ingest', 'dossiers', 'seed']);
  if (values.help === true) {
    console.log(SAMPLE_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const dossiers = integer('dossiers', values.dossiers as string | undefined, 240, 1, 100_000);
  const key = producerKey();
  const seed = integer('seed', values.seed as string | undefined, DEMO_SEED, 0, 2 ** 32 - 1);
  const now = Date.now();
  const events = sampleEvents({ dossiers, seed, now });
  const bar = progressBar('sample', events.length);
  try {
    await postEvents((values.ingest as string | undefined) ?? 'http://127.0.0.1:8080', key, events, 5000, bar);
  } catch (error) {
    say('sample')((error as Error).message);
    return 1;
  }
  bar.finish();
  console.log(
    `sample: ${events.length} events accepted (${dossiers} dossiers), the sample of ${sampleDay(now)}: the same events at every start that day, counted once`,
  );
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h') {
    console.log(HELP);
    return 0;
  }
  if (command === undefined) {
    console.error(HELP);
    return 2;
  }
  if (command === 'binh-phuoc-2022') return binhPhuoc(rest);
  if (command === 'demo') return demo(rest);
  if (command === 'sample') return sample(rest);
  throw new UsageError(`unknown command '${command}'`);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError || error instanceof ConfigError) {
    process.stderr.write(`dvc-scenario: ${error.message}\n(see dvc-scenario --help)\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`dvc-scenario: failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 3;
  }
}
