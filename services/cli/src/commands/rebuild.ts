import { setTimeout as sleep } from 'node:timers/promises';
import { admissionLimits, loadReferenceData, projectionRules } from '@dvc/config';
import { openEventStore } from '@dvc/eventstore';
import { createKafka, groupReached, topicEnds } from '@dvc/kafka';
import { dropNamespace, rebuildNamespace, switchActiveNamespace } from '@dvc/read-model';
import { ProjectionStore, createEpoch, createRedisClient } from '@dvc/redis';
import { UsageError, flagSpec, intFlag, parseFlags } from '../args.js';
import { diffProjections, diffSeries, type Difference } from '../compare.js';
import { cliConfig, cliLiveView } from '../config.js';
import { cliLogger, type CliIo } from '../io.js';
import { Progress, formatDuration } from '../progress.js';
import { addSkipped, applyHistory, describeSkipped, namespaceSeries, type Skipped } from '../rebuild.js';

export const REBUILD_HELP = `dvc rebuild: rebuild the projection from the event store into a new namespace, compare, switch

Usage:
  dvc rebuild [--switch | --force | --no-switch] [options]
  dvc rebuild drop <namespace>

Reads the whole event store (EVENTSTORE_URL) in position order and applies it, with the
projector's rules, into a new namespace <base>.r<UTC yyyymmddThhmmss> beside the live one
(<base> is REDIS_NAMESPACE; <base>:active names the live namespace). Events the projector would
refuse today (admission: EVENT_MAX_FUTURE_SKEW_SECONDS, HISTORY_START, EVENT_MAX_DUE_DAYS, the
unit directory, ACCEPT_UNKNOWN_UNITS; "now" is the wall clock) are skipped, counted by code and
reported: a store written before admission existed may hold some. Then compares new and live:
every series the exporter serves, and the raw projection (states, buckets, sets, counters).
Both are computed at one instant: the "now" of CLOCK / CLOCK_AS_OF, read once at the start as
the exporter reads it (the event-time watermark is taken from the live namespace).

  --switch                switch to the new namespace if it is identical to the live one
  --force                 switch even when they differ (e.g. Redis lost data); differences still listed
  --no-switch             only build and compare (the default)
  --namespace BASE        projection base name (overrides REDIS_NAMESPACE)
  --eventstore URL        event store (overrides EVENTSTORE_URL)
  --batch N               events per batch (default 40000)
  --max-diffs N           differences listed (default 50; all are counted)
  --catch-up-timeout S    seconds to wait after the switch for the archiver to reach the topic end (default 300)

After a switch the projector and exporter follow the pointer on their next batch/scrape; the
rebuild then applies the store tail until the archiver group (ARCHIVER_GROUP) has committed
the topic end offsets read right after the switch, so no event archived meanwhile is missed.
The old namespace is kept: list them with 'dvc namespaces', delete one with 'dvc rebuild drop'.

Exit codes: 0 identical or switched, 1 differences (not switched) or failure, 2 bad usage.
`;

function printDifferences(io: CliIo, title: string, diffs: readonly Difference[], max: number): void {
  io.stdout.write(`${title}: ${diffs.length} difference${diffs.length === 1 ? '' : 's'}\n`);
  for (const d of diffs.slice(0, max)) io.stdout.write(`  ${d.where}: live ${d.live}, rebuilt ${d.rebuilt}\n`);
  if (diffs.length > max) io.stdout.write(`  ... and ${diffs.length - max} more\n`);
}

async function drop(io: CliIo, base: string | undefined, namespace: string | undefined): Promise<number> {
  if (namespace === undefined) throw new UsageError('dvc rebuild drop needs the namespace to delete (see dvc namespaces)');
  const config = cliConfig(io.env, { REDIS_NAMESPACE: base });
  const redis = createRedisClient({ url: config.REDIS_URL, connectionName: 'dvc-cli' });
  try {
    const deleted = await dropNamespace(redis, config.REDIS_NAMESPACE, namespace);
    io.stdout.write(`dropped ${namespace}: ${deleted} keys deleted\n`);
    return 0;
  } finally {
    redis.disconnect();
  }
}

export async function rebuildCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    flagSpec(['namespace', 'eventstore', 'batch', 'max-diffs', 'catch-up-timeout'], ['switch', 'force', 'no-switch']),
    2,
  );
  if (values.help === true) {
    io.stdout.write(REBUILD_HELP);
    return 0;
  }
  if (positionals[0] !== undefined && positionals[0] !== 'drop') throw new UsageError(`unknown rebuild action '${positionals[0]}' (only 'drop <namespace>')`);
  if (positionals[0] === 'drop') return drop(io, values.namespace, positionals[1]);
  const modes = [values.switch, values.force, values['no-switch']].filter((v) => v === true).length;
  if (modes > 1) throw new UsageError('--switch, --force and --no-switch exclude each other');
  const batchSize = intFlag('batch', values.batch, 1, 100_000) ?? 40_000;
  const maxDiffs = intFlag('max-diffs', values['max-diffs'], 0) ?? 50;
  const catchUpMs = (intFlag('catch-up-timeout', values['catch-up-timeout'], 1) ?? 300) * 1000;
  const config = cliConfig(io.env, { REDIS_NAMESPACE: values.namespace, EVENTSTORE_URL: values.eventstore });
  const reference = loadReferenceData(config.DATA_DIR);
  const rules = projectionRules(reference, config);
  const admission = admissionLimits(config, reference);
  const logger = cliLogger(io);
  const base = config.REDIS_NAMESPACE;

  const redis = createRedisClient({ url: config.REDIS_URL, connectionName: 'dvc-cli' });
  const events = openEventStore(config.EVENTSTORE_URL);
  try {
    const at = await cliLiveView(config, redis, io).resolve();
    const live = at.namespace;
    // Named by the second: a rebuild within the same second (one that has just switched, or one
    // still running) holds this second's name, so wait (up to 2 s) for the next second's.
    const holdsProjection = async (namespace: string) => (await new ProjectionStore(redis, namespace).units()).length > 0;
    let target = rebuildNamespace(base, io.now());
    for (let waitedMs = 0; waitedMs < 2000 && (await holdsProjection(target)); waitedMs += 50) {
      await sleep(50);
      target = rebuildNamespace(base, io.now());
    }
    if (await holdsProjection(target)) {
      io.stderr.write(`dvc rebuild: namespace ${target} already holds a projection (another rebuild running?); run again\n`);
      return 1;
    }
    const projection = new ProjectionStore(redis, target);
    const head = await events.head();
    io.stdout.write(`rebuilding ${base}: ${head} events from ${config.EVENTSTORE_URL} into ${target} (live: ${live})\n`);
    const startedAt = io.now();
    const progress = new Progress({ stream: io.stderr, now: io.now, label: 'events', total: head });
    const built = await applyHistory({
      events,
      projection,
      rules,
      admission,
      now: io.now,
      after: 0,
      batchSize,
      sole: true,
      onBatch: (_position, count) => progress.update(count, Math.max(head, count)),
    });
    progress.finish();
    // The new namespace is born whole: its sentinel tells the projector it may write there.
    await createEpoch(redis, target, 'rebuild', io.now());
    const seconds = (io.now() - startedAt) / 1000;
    const skippedCount = Object.values(built.skipped).reduce((sum, n) => sum + n, 0);
    io.stdout.write(
      `applied ${built.events - skippedCount} events (last position ${built.position}) in ${formatDuration(seconds)}${seconds > 0 ? ` (${Math.round(built.events / seconds)}/s)` : ''}\n`,
    );
    io.stdout.write(`inadmissible events skipped (not applied): ${describeSkipped(built.skipped)}\n`);

    io.stdout.write(`comparing at ${new Date(at.nowMs).toISOString()} (clock ${at.clockMode})\n`);
    const series = (namespace: string) => namespaceSeries({ redis, reference, namespace, at });
    const [liveSeries, rebuiltSeries] = [await series(live), await series(target)];
    const seriesDiffs = diffSeries(liveSeries, rebuiltSeries);
    const rawDiffs = await diffProjections(redis, live, target);
    printDifferences(io, `series (${rebuiltSeries.size} served by ${target})`, seriesDiffs, maxDiffs);
    printDifferences(io, 'projection (states, buckets, sets, counters)', rawDiffs, maxDiffs);
    const identical = seriesDiffs.length === 0 && rawDiffs.length === 0;

    const wantSwitch = values.force === true || (values.switch === true && identical);
    if (!wantSwitch) {
      if (values.switch === true) io.stdout.write(`not switched: ${target} differs from ${live} (use --force to switch anyway)\n`);
      io.stdout.write(`kept ${live} live; ${target} stays for inspection (drop it with: dvc rebuild drop ${target})\n`);
      return identical ? 0 : 1;
    }

    await switchActiveNamespace(redis, base, target, live);
    io.stdout.write(`switched ${base}: ${live} -> ${target}${identical ? '' : ' (forced, with the differences above)'}\n`);
    // Events keep arriving while this runs. The archiver appends every valid event of the topic
    // to the store, then commits. Batches the projector resolved before the switch may still land
    // in the old namespace; all of them were on the topic before the end offsets read now. Once
    // the archiver's group has committed at least those offsets, every such event is in the store,
    // and applying the store's tail after that covers them. Events the projector already wrote to
    // the new namespace are applied again by this tail: the projection knows each event id it has
    // applied and counts them as duplicates without changing anything, so double application is
    // harmless.
    const kafka = createKafka(config, 'dvc-cli', logger);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const ends = await topicEnds(admin, config.EVENTS_TOPIC);
      let position = built.position;
      let skipped: Skipped = {};
      const deadline = io.now() + catchUpMs;
      const tail = async () => {
        const applied = await applyHistory({ events, projection, rules, admission, now: io.now, after: position, batchSize, sole: false });
        skipped = addSkipped(skipped, applied.skipped);
        return applied.position;
      };
      for (;;) {
        position = await tail();
        if (await groupReached(admin, config.ARCHIVER_GROUP, config.EVENTS_TOPIC, ends)) break;
        if (io.now() > deadline) {
          io.stderr.write(
            `dvc rebuild: switched, but the archiver group ${config.ARCHIVER_GROUP} did not reach the end offsets of ${config.EVENTS_TOPIC} within ${catchUpMs / 1000}s; events it archives later may be missing from ${target}: check the archiver, then rebuild again\n`,
          );
          return 1;
        }
        await sleep(500);
      }
      position = await tail();
      io.stdout.write(
        `caught up: archiver group ${config.ARCHIVER_GROUP} at the topic end seen at the switch; store applied up to position ${position}; inadmissible events skipped: ${describeSkipped(skipped)}\n`,
      );
    } finally {
      await admin.disconnect();
    }
    io.stdout.write(`old namespace ${live} kept; delete it with: dvc rebuild drop ${live}\n`);
    return 0;
  } finally {
    await events.close();
    redis.disconnect();
  }
}
