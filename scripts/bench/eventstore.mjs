#!/usr/bin/env node
// Event store adapters side by side: the same events appended to the embedded SQLite store and
// to PostgreSQL, then read back, in-process through @dvc/eventstore.
import { join } from 'node:path';
import { count, fmtInt, log, median } from './lib/common.mjs';
import { TABLE_HEAD, row, runBench } from './lib/runner.mjs';
import { STORE_HELP, STORE_OPTIONS, benchEvents, storeSource } from './lib/store.mjs';
import { progressBar } from './lib/progress.mjs';

const HELP = `Usage: node scripts/bench/eventstore.mjs [options]    (or: npm run bench -- --only eventstore)

Event store adapters side by side. Per run and per store (SQLite in a file of its own,
PostgreSQL in a schema of its own at POSTGRES_URL, default the local server), both removed
afterwards:
  - appends the events in batches of --batch (one transaction each; the archiver appends a
    consumed Kafka batch the same way), and the same batches again (every event a duplicate);
  - with --writers W > 1, W writers append disjoint shares at once (several archivers on one store);
  - reads the whole store back with read({ after, limit }) pages of --page.

Options:
${STORE_HELP}
  --batch N         events per append (default 1000)
  --writers W       concurrent writers of the parallel fill (default 2)
  --page N          page size of the read (default 2000)`;

const POSTGRES_URL = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

await runBench({
  name: 'eventstore',
  title: 'Event store: SQLite and PostgreSQL',
  help: HELP,
  options: {
    ...STORE_OPTIONS,
    batch: { type: 'string', default: '1000' },
    writers: { type: 'string', default: '2' },
    page: { type: 'string', default: '2000' },
  },
  async main(ctx) {
    const { opts } = ctx;
    const batch = count('batch', opts.batch);
    const writers = count('writers', opts.writers);
    const page = count('page', opts.page);
    const events = await benchEvents(storeSource(opts, count, ctx.tag));
    const { openEventStore } = await import('@dvc/eventstore');
    const pg = (await import('pg')).default;
    const schemas = [];
    ctx.onCleanup(async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    });
    const stores = {
      SQLite: (run, what) => `sqlite:${join(ctx.workDir, `r${run}-${what}.sqlite`)}`,
      PostgreSQL: (run, what) => {
        const schema = `${ctx.prefix.replace(/[^a-z0-9]+/g, '_')}_r${run}_${what}`;
        schemas.push(schema);
        return `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}schema=${schema}`;
      },
    };

    const results = { SQLite: [], PostgreSQL: [] };
    for (let run = 1; run <= opts.runs; run++) {
      for (const [name, urlOf] of Object.entries(stores)) {
        const single = await fill(openEventStore(urlOf(run, 'one')), events, batch, `${name} append`, { readPage: page });
        const parallel = writers > 1 ? await fillParallel(openEventStore, urlOf(run, 'many'), events, batch, writers, name) : undefined;
        results[name].push({ ...single, parallel });
        log(
          `run ${run} ${name}: append ${fmtInt(single.appendRate)} ev/s, duplicates ${fmtInt(single.duplicateRate)} ev/s, read ${fmtInt(single.readRate)} ev/s` +
            (parallel === undefined ? '' : `, ${writers} writers ${fmtInt(parallel.rate)} ev/s`),
        );
      }
    }

    const rate = (x) => `${fmtInt(x)} ev/s`;
    const lines = [
      `**Method.** ${fmtInt(events.length)} ${opts.source === 'scenario' ? 'events of the Bình Phước 2022 scenario (seed 2022)' : 'synthetic events'} appended through \`openEventStore(url).append\` in batches of ${fmtInt(batch)} (one transaction each) to a fresh store, the same batches appended again (all duplicates: the archiver's redelivery path), then read back with \`read({ after, limit: ${fmtInt(page)} })\` pages. ` +
        `SQLite: a WAL file with \`synchronous = FULL\` on the machine's disk. PostgreSQL: the local server (default settings, \`synchronous_commit\` on), a schema of the run's own. ` +
        (writers > 1
          ? `The parallel fill: ${writers} store instances append disjoint shares of the events at once into another fresh store (as ${writers} archivers would), positions staying dense.`
          : ''),
      '',
      TABLE_HEAD,
      ...Object.entries(results).flatMap(([name, runs]) => [
        row(`${name}: append, new events`, runs, (r) => r.appendRate, rate),
        row(`${name}: append, all duplicates`, runs, (r) => r.duplicateRate, rate),
        row(`${name}: read in pages of ${fmtInt(page)}`, runs, (r) => r.readRate, rate),
        ...(writers > 1 ? [row(`${name}: append by ${writers} writers at once`, runs, (r) => r.parallel.rate, rate)] : []),
      ]),
      '',
      `**Reading it.** Appends of both adapters are serialized by design (SQLite's write lock; PostgreSQL's \`head\` row lock), which is what keeps positions dense and visible in order; so several writers share one write rate rather than add theirs. ` +
        `PostgreSQL appended at ${(median(results.PostgreSQL.map((r) => r.appendRate)) / median(results.SQLite.map((r) => r.appendRate))).toFixed(2)}× and read at ${(median(results.PostgreSQL.map((r) => r.readRate)) / median(results.SQLite.map((r) => r.readRate))).toFixed(2)}× SQLite's rate here; it is the store to choose when the archivers and replay APIs run on several machines.`,
    ];
    return { markdown: lines.join('\n'), raw: { events: events.length, batch, writers, page, results } };
  },
});

/** Appends every event in batches (timed), appends them all again (duplicates, timed), then reads everything back (timed). */
async function fill(store, events, batch, label, { readPage }) {
  try {
    const bar = progressBar(label, events.length * 2);
    let t0 = performance.now();
    for (let i = 0; i < events.length; i += batch) {
      const results = await store.append(events.slice(i, i + batch));
      if (results.some((r) => r.outcome !== 'appended')) throw new Error(`${label}: duplicates in a fresh store at ${i}`);
      bar.update(Math.min(events.length, i + batch));
    }
    const appendSeconds = (performance.now() - t0) / 1000;
    t0 = performance.now();
    for (let i = 0; i < events.length; i += batch) {
      const results = await store.append(events.slice(i, i + batch));
      if (results.some((r) => r.outcome !== 'duplicate')) throw new Error(`${label}: an event appended twice at ${i}`);
      bar.update(events.length + Math.min(events.length, i + batch));
    }
    bar.done();
    const duplicateSeconds = (performance.now() - t0) / 1000;
    t0 = performance.now();
    let read = 0;
    for (let after = 0; ;) {
      const page = await store.read({ after, limit: readPage });
      if (page.length === 0) break;
      read += page.length;
      after = page[page.length - 1].position;
    }
    const readSeconds = (performance.now() - t0) / 1000;
    if (read !== events.length) throw new Error(`${label}: read ${read} events, appended ${events.length}`);
    return { appendRate: events.length / appendSeconds, duplicateRate: events.length / duplicateSeconds, readRate: read / readSeconds };
  } finally {
    await store.close();
  }
}

/** `writers` instances on one store append interleaved shares at once; checks dense positions. */
async function fillParallel(openEventStore, url, events, batch, writers, name) {
  const instances = Array.from({ length: writers }, () => openEventStore(url));
  try {
    await instances[0].head();
    const t0 = performance.now();
    await Promise.all(
      instances.map(async (store, w) => {
        for (let i = w * batch; i < events.length; i += writers * batch) await store.append(events.slice(i, i + batch));
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const head = await instances[0].head();
    if (head !== events.length) throw new Error(`${name}: ${writers} writers left the head at ${head}, expected ${events.length}`);
    return { rate: events.length / seconds };
  } finally {
    await Promise.all(instances.map((s) => s.close()));
  }
}
