#!/usr/bin/env node
// The Bình Phước 2022 scenario generator: see --help.
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { CLOCK, FIGURES, PERIOD, PLAN, generateBinhPhuoc2022 } from './generate.mjs';
import { progressBar } from './progress.mjs';

const HELP = `usage: node scripts/scenario/binh-phuoc-2022.mjs [options]

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
  --kafka BROKERS       produce to Kafka (comma-separated brokers; key = subject,
                        idempotent producer, acks -1) ...
  --topic T             ... to this topic (required with --kafka; created if missing)
  --partitions N        partitions when the topic is created (default 6)
  --ingest URL          POST to the ingest API (URL or URL/v1/events) as
                        application/cloudevents-batch+json
  --batch N             events per Kafka request / HTTP batch (default 5000, max 5000)
  --expected FILE.json  write the expected figures (recounted from the events)
  --receipt FILE.json   once Kafka or the ingest accepted every event, write
                        {"case", "seed", "events"} (scripts/scenario/demo.mjs mark reads it)
  -h, --help            this text

Progress (percent, events/s, ETA) goes to stderr.`;

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(HELP);
  process.exit(0);
}
const known = new Set(['--seed', '--units', '--out', '--kafka', '--topic', '--partitions', '--ingest', '--batch', '--expected', '--receipt']);
const options = {};
for (let i = 0; i < args.length; i++) {
  const name = args[i];
  if (!known.has(name) || args[i + 1] === undefined) {
    console.error(`binh-phuoc-2022: unknown or incomplete option '${name}' (see --help)`);
    process.exit(2);
  }
  options[name.slice(2)] = args[++i];
}
const integer = (name, fallback, min, max) => {
  const raw = options[name] ?? String(fallback);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`binh-phuoc-2022: --${name} must be an integer in [${min}, ${max}], got '${raw}'`);
    process.exit(2);
  }
  return n;
};
const seed = integer('seed', 2022, 0, 2 ** 32 - 1);
const batchSize = integer('batch', 5000, 1, 5000);
const partitions = integer('partitions', 6, 1, 1000);
if (options.kafka !== undefined && options.topic === undefined) {
  console.error('binh-phuoc-2022: --kafka needs --topic');
  process.exit(2);
}
if (options.out === undefined && options.kafka === undefined && options.ingest === undefined && options.expected === undefined) {
  console.error('binh-phuoc-2022: nothing to do: give --out, --kafka, --ingest and/or --expected (see --help)');
  process.exit(2);
}

console.error(`binh-phuoc-2022: generating and self-checking the scenario (seed ${seed}) ...`);
const started = Date.now();
let generated;
try {
  const units = options.units === undefined ? undefined : JSON.parse(readFileSync(options.units, 'utf8'));
  generated = generateBinhPhuoc2022({ seed, ...(units === undefined ? {} : { units }) });
} catch (error) {
  console.error(`binh-phuoc-2022: ${error.message}`);
  process.exit(1);
}
const { events, expected } = generated;
console.error(
  `binh-phuoc-2022: seed ${seed}: ${events.length.toLocaleString('en-US')} events generated and self-checked in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
    `(clock ${expected.clock}; received ${expected.received}, carried over ${expected.carriedOver}, resolved ${expected.resolved}/${expected.resolvedOverdue} overdue, ` +
    `open ${expected.open}/${expected.openOverdue} overdue, withdrawn ${expected.withdrawn})`,
);

if (options.expected !== undefined) {
  writeFileSync(options.expected, `${JSON.stringify(expected, null, 2)}\n`);
  console.error(`binh-phuoc-2022: expected figures written to ${options.expected}`);
}

if (options.out !== undefined) {
  const bar = progressBar('write ', events.length);
  const file = createWriteStream(options.out);
  for (let i = 0; i < events.length; i += batchSize) {
    const slice = events.slice(i, i + batchSize);
    if (!file.write(`${slice.map((e) => JSON.stringify(e)).join('\n')}\n`)) await once(file, 'drain');
    bar.tick(slice.length);
  }
  file.end();
  await once(file, 'finish');
  bar.finish();
}

if (options.kafka !== undefined) {
  const { Kafka, logLevel } = await import('kafkajs');
  const kafka = new Kafka({ clientId: 'binh-phuoc-2022-scenario', brokers: options.kafka.split(','), logLevel: logLevel.WARN });
  const admin = kafka.admin();
  await admin.connect();
  const created = await admin.createTopics({ waitForLeaders: true, topics: [{ topic: options.topic, numPartitions: partitions }] });
  await admin.disconnect();
  if (created) console.error(`binh-phuoc-2022: created topic ${options.topic} (${partitions} partitions)`);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const bar = progressBar('kafka ', events.length);
  try {
    for (let i = 0; i < events.length; i += batchSize) {
      const slice = events.slice(i, i + batchSize);
      await producer.send({ topic: options.topic, acks: -1, messages: slice.map((e) => ({ key: e.subject, value: JSON.stringify(e) })) });
      bar.tick(slice.length);
    }
  } finally {
    await producer.disconnect();
  }
  bar.finish();
}

if (options.ingest !== undefined) {
  const url = /\/v1\/events\/?$/.test(options.ingest) ? options.ingest : `${options.ingest.replace(/\/$/, '')}/v1/events`;
  const bar = progressBar('ingest', events.length);
  const post = async (slice) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: JSON.stringify(slice),
    });
    if (res.status === 413 && slice.length > 1) {
      // Body limit of this ingest: send the batch in halves.
      const half = Math.ceil(slice.length / 2);
      await post(slice.slice(0, half));
      await post(slice.slice(half));
      return;
    }
    if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${(await res.text()).slice(0, 2000)}`);
    bar.tick(slice.length);
  };
  try {
    for (let i = 0; i < events.length; i += batchSize) await post(events.slice(i, i + batchSize));
  } catch (error) {
    console.error(`\nbinh-phuoc-2022: ${error.message}`);
    process.exit(1);
  }
  bar.finish();
}

if (options.receipt !== undefined && (options.kafka !== undefined || options.ingest !== undefined)) {
  writeFileSync(options.receipt, `${JSON.stringify({ case: 'binh-phuoc-2022', seed, events: events.length })}\n`);
  console.error(`binh-phuoc-2022: every event accepted; receipt written to ${options.receipt}`);
}
