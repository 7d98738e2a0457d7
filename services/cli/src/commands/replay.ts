import { EVENT_TYPES, type EventType } from '@dvc/domain';
import { openEventStore, type EventFilter, type EventStore, type Position, type StoredEvent } from '@dvc/eventstore';
import { createKafka, ensureTopics, eventMessage } from '@dvc/kafka';
import { UsageError, flagSpec, instantFlag, intFlag, listFlag, parseFlags } from '../args.js';
import { cliConfig } from '../config.js';
import { cliLogger, type CliIo } from '../io.js';
import { Progress } from '../progress.js';
import { referenceForWarnings, unlistedUnitText } from '../units.js';

export const REPLAY_HELP = `dvc replay: republish a filtered range of the event store's history to a Kafka topic

Usage:
  dvc replay --to TOPIC [--create] [--types a,b] [--unit U] [--from ISO] [--until ISO] [--after POS] [--limit N]

Events are read from the store (EVENTSTORE_URL) in position order and published with an
idempotent producer, keyed by routing key as the ingest does (the subject, or the dossier a
payment names: a dossier's events stay in order on one partition), value the CloudEvent JSON. Consumers recognise events by id, so replaying into a live topic only adds
duplicates that change nothing.

  --to TOPIC       destination topic (must exist, unless --create)
  --create         create the destination topic when it does not exist, with TOPIC_PARTITIONS
                   partitions (as the services create theirs)
  --types a,b      only these event types (full name, or its last part: resolved,payment.completed)
  --unit U         only events of this unit (unitid)
  --from ISO       business time at or after (e.g. 2022-06-01 or 2022-06-01T00:00:00+07:00)
  --until ISO      business time before
  --after POS      only store positions after POS (resume a replay: the last position is printed)
  --limit N        at most N events
  --batch N        events per publish (default 1000)
  --eventstore URL event store (overrides EVENTSTORE_URL)
`;

/** Full event type names from full or short (`resolved`, `payment.completed`) ones. */
export function eventTypes(raw: readonly string[]): EventType[] {
  const all = Object.keys(EVENT_TYPES) as EventType[];
  return raw.map((name) => {
    if ((all as string[]).includes(name)) return name as EventType;
    const matches = all.filter((t) => t.endsWith(`.${name}`));
    if (matches.length === 1 && matches[0] !== undefined) return matches[0];
    throw new UsageError(
      matches.length > 1 ? `--types: '${name}' is ambiguous (${matches.join(', ')})` : `--types: unknown event type '${name}' (known: ${all.join(', ')})`,
    );
  });
}

export interface ReplayOptions {
  events: EventStore;
  filter: EventFilter;
  after: Position;
  limit?: number;
  batchSize: number;
  /** The stored events of one batch, each with the producer key it was accepted with, if the store has it. */
  publish: (events: readonly StoredEvent[]) => Promise<void>;
  onBatch?: (position: Position, published: number) => void;
}

/** Publishes the matching history after `after`, in position order; returns the last position read and the count. */
export async function replayHistory(options: ReplayOptions): Promise<{ position: Position; published: number }> {
  let position = options.after;
  let published = 0;
  for (;;) {
    const want = options.limit === undefined ? options.batchSize : Math.min(options.batchSize, options.limit - published);
    if (want <= 0) break;
    const batch = await options.events.read({ ...options.filter, after: position, limit: want });
    if (batch.length === 0) break;
    await options.publish(batch);
    position = batch[batch.length - 1]?.position ?? position;
    published += batch.length;
    options.onBatch?.(position, published);
  }
  return { position, published };
}

/**
 * A warning for a unit the unit directory does not list: the history holds its events only if it
 * was taken in pilot mode (ACCEPT_UNKNOWN_UNITS), so a misspelt unit would replay nothing, silently.
 */
function unitWarning(unit: string, io: CliIo): string {
  const loaded = referenceForWarnings(io);
  if (!loaded.ok) return loaded.warning;
  if (loaded.reference.units.has(unit)) return '';
  return (
    `warning: not in the unit directory (${loaded.where}): ${unlistedUnitText(loaded.reference.units, unit)}; ` +
    'the history holds events of unlisted units only if they were taken in pilot mode (ACCEPT_UNKNOWN_UNITS): check the spelling\n'
  );
}

export async function replayCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(argv, flagSpec(['to', 'types', 'unit', 'from', 'until', 'after', 'limit', 'batch', 'eventstore'], ['create']));
  if (values.help === true) {
    io.stdout.write(REPLAY_HELP);
    return 0;
  }
  if (values.to === undefined) throw new UsageError('--to TOPIC is required');
  const filter: EventFilter = {};
  const types = listFlag(values.types);
  if (types !== undefined) filter.types = eventTypes(types);
  if (values.unit !== undefined) {
    filter.unit = values.unit;
    io.stderr.write(unitWarning(values.unit, io));
  }
  const from = instantFlag('from', values.from);
  const until = instantFlag('until', values.until);
  if (from !== undefined) filter.from = from;
  if (until !== undefined) filter.to = until;
  if (from !== undefined && until !== undefined && until <= from) throw new UsageError('--until must be after --from');
  const after = intFlag('after', values.after, 0) ?? 0;
  const limit = intFlag('limit', values.limit, 1);
  const batchSize = intFlag('batch', values.batch, 1, 100_000) ?? 1000;
  const config = cliConfig(io.env, { EVENTSTORE_URL: values.eventstore });
  const topic = values.to;

  const kafka = createKafka(config, 'dvc-cli', cliLogger(io));
  const admin = kafka.admin();
  await admin.connect();
  const exists = (await admin.listTopics().finally(() => admin.disconnect())).includes(topic);
  if (!exists && values.create !== true) {
    io.stderr.write(`dvc replay: topic ${topic} does not exist (the broker does not create topics); add --create to create it\n`);
    return 1;
  }
  if (!exists) {
    await ensureTopics(kafka, [topic], config.TOPIC_PARTITIONS);
    io.stderr.write(`created topic ${topic} (${config.TOPIC_PARTITIONS} partitions, TOPIC_PARTITIONS)\n`);
  }
  const events = openEventStore(config.EVENTSTORE_URL);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const head = await events.head();
    // Progress over store positions: the filter's match count is unknown until read.
    const progress = new Progress({ stream: io.stderr, now: io.now, label: 'positions', total: Math.max(0, head - after) });
    const result = await replayHistory({
      events,
      filter,
      after,
      batchSize,
      ...(limit === undefined ? {} : { limit }),
      publish: async (batch) => {
        // The producer key id travels with the event again (dvc-producer-key), when the store kept it.
        await producer.send({ topic, acks: -1, messages: batch.map((s) => eventMessage(s.event, s.producerKey)) });
      },
      onBatch: (position) => progress.update(position - after),
    });
    progress.update(limit !== undefined && result.published === limit ? result.position - after : head - after);
    progress.finish();
    io.stdout.write(
      `replayed ${result.published} events to ${topic} (store positions ${after + 1}..${result.position}; resume with --after ${result.position})\n`,
    );
    return 0;
  } finally {
    await producer.disconnect();
    await events.close();
  }
}
