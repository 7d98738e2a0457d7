// A SQLite event store of the benchmark's own, filled through @dvc/eventstore's append (as the
// archiver fills it): the Bình Phước 2022 scenario (455,847 events) or the synthetic mix.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fmtInt, log } from './common.mjs';
import { createEventStream } from './events.mjs';
import { progressBar } from './progress.mjs';

/** Valid events (validateEvent's output) of the chosen source, as plain objects. */
export async function benchEvents({ source, events, units, tag }) {
  const { validateEvent } = await import('@dvc/domain');
  let raw;
  if (source === 'scenario') {
    log('generating the Bình Phước 2022 scenario (@dvc/scenario)');
    const { generateBinhPhuoc2022, loadUnits } = await import('@dvc/scenario');
    // A prefix of the history when fewer events are asked for (events come in time order).
    raw = generateBinhPhuoc2022({ seed: 2022, units: loadUnits() }).events.slice(0, events);
  } else {
    const stream = createEventStream({ total: events, units, tag });
    raw = stream.next(events).map((m) => JSON.parse(m.value));
  }
  return raw.map((event, i) => {
    const result = validateEvent(event);
    if (!result.ok) throw new Error(`${source} event #${i} is invalid: ${JSON.stringify(result.problems)}`);
    return result.event;
  });
}

/**
 * Appends the events to a fresh SQLite store under the run's scratch folder, in batches of
 * 5,000 (one transaction each). Returns the store URL, event count, file size and fill rate.
 */
export async function fillStore(ctx, events, name = 'events.sqlite') {
  const { openEventStore } = await import('@dvc/eventstore');
  const file = join(ctx.workDir, name);
  const url = `sqlite:${file}`;
  const store = openEventStore(url);
  const bar = progressBar('store fill', events.length);
  const t0 = performance.now();
  try {
    for (let i = 0; i < events.length; i += 5000) {
      const results = await store.append(events.slice(i, i + 5000));
      const duplicates = results.filter((r) => r.outcome !== 'appended').length;
      if (duplicates > 0) throw new Error(`store fill: ${duplicates} duplicate ids in batch at ${i}`);
      bar.update(Math.min(events.length, i + 5000));
    }
    bar.done();
    const head = await store.head();
    if (head !== events.length) throw new Error(`store head is ${head}, expected ${events.length}`);
  } finally {
    await store.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  let bytes = 0;
  for (const suffix of ['', '-wal']) {
    try {
      bytes += statSync(`${file}${suffix}`).size;
    } catch {
      // no WAL left after close
    }
  }
  log(`store ${name}: ${fmtInt(events.length)} events, ${(bytes / 1024 / 1024).toFixed(0)} MiB`);
  return { file, url, events: events.length, bytes, seconds, rate: events.length / seconds };
}

export const STORE_HELP = `  --source S        scenario (Bình Phước 2022, 455,847 events; the default) or synthetic
                    (quick: synthetic)
  --events N        events in the store (default: the whole scenario, or 300,000 synthetic;
                    quick: 5,000); fewer scenario events are a prefix of its history
  --units U         units of the synthetic events (default 160)`;

/** The store options every store-reading runner takes (see STORE_HELP). */
export const STORE_OPTIONS = {
  source: { type: 'string', default: 'scenario', quick: 'synthetic' },
  events: { type: 'string', quick: '5000' },
  units: { type: 'string', default: '160' },
};

/** Checks --source; returns the event-source options for benchEvents. */
export function storeSource(opts, count, tag) {
  if (opts.source !== 'scenario' && opts.source !== 'synthetic') {
    process.stderr.write(`--source must be scenario or synthetic, got '${opts.source}'\n`);
    process.exit(2);
  }
  const events = opts.events !== undefined ? count('events', opts.events) : opts.source === 'scenario' ? Number.POSITIVE_INFINITY : 300_000;
  return { source: opts.source, events, units: count('units', opts.units), tag };
}
