import { routingKeyOf } from '@dvc/domain';
import { DLQ_CODES, DLQ_HEADERS, PRODUCER_KEY_HEADER, createKafka, decodeEventBytes, readTopicToEnd, type DlqCode, type TopicMessage } from '@dvc/kafka';
import { UsageError, flagSpec, intFlag, offsetsFlag, parseFlags, regexFlag } from '../args.js';
import { cliConfig } from '../config.js';
import { cliLogger, type CliIo } from '../io.js';
import { Progress } from '../progress.js';

export const REDRIVEN_FROM_HEADER = 'dvc-redriven-from';

export const DLQ_HELP = `dvc dlq: inspect and re-drive the dead-letter topic

Usage:
  dvc dlq list [--topic T] [--limit N] [--json]
  dvc dlq redrive (--offsets p:o[,p:o...] | --all | --reason REGEX | --code CODE) [--topic T] [--to TOPIC] [--dry-run]

list     reads the dead-letter topic (DLQ_TOPIC, or --topic) from the beginning without
         committing anything and prints, per message: partition:offset, stage, code, rejected-at,
         source topic/partition/offset, reason and the first bytes of the value; then the count
         by code.
  --limit N     only the first N messages (default: all)
  --json        one JSON array (value preview as text, key as text)

redrive  republishes the selected messages, original bytes, to the topic they came from
         (or --to TOPIC), with the header ${REDRIVEN_FROM_HEADER}=<dlq-topic>:<partition>:<offset>
         and the producer key id the dead letter kept (header ${PRODUCER_KEY_HEADER}), so the
         consumers check the original producer again. The key is the event's routing key when
         the value is a valid event (so a misrouted letter lands on its dossier's partition),
         else the original key.
         Re-driving twice is harmless: event ids are idempotent in the projection and the store.
  --offsets p:o,...   exactly these dead letters (partition:offset)
  --all               every dead letter
  --reason REGEX      dead letters whose reason matches REGEX
  --code CODE         dead letters filed under CODE (header ${DLQ_HEADERS.code}): ${DLQ_CODES.join(', ')};
                      with --reason, those matching both. E.g. after adding a unit to
                      units.json (and the services' reload): --code unknown-unit
  --to TOPIC          publish there instead of each message's source topic
  --dry-run           only say what would be re-driven

Exit codes: 0 done, 1 failure (e.g. a requested offset not in the topic), 2 bad usage.
`;

const PREVIEW_BYTES = 120;

export interface DeadLetterEntry {
  partition: number;
  offset: string;
  stage: string | null;
  /** The machine code (header dvc-dlq-code); null for dead letters written before codes existed. */
  code: string | null;
  reason: string | null;
  sourceTopic: string | null;
  sourcePartition: number | null;
  sourceOffset: string | null;
  rejectedAt: string | null;
  key: string | null;
  valueBytes: number;
  valuePreview: string;
}

function header(message: TopicMessage, name: string): string | null {
  const value = message.headers?.[name];
  if (value === undefined) return null;
  const one = Array.isArray(value) ? value[0] : value;
  return one === undefined ? null : one.toString();
}

/**
 * The headers of a re-driven message: where it came from, and the producer key id of its dead
 * letter (the original writer's), so the consumers judge its producer as they did the first time.
 */
function redrivenHeaders(message: TopicMessage, from: string): Record<string, string> {
  const producerKey = header(message, PRODUCER_KEY_HEADER);
  return { [REDRIVEN_FROM_HEADER]: from, ...(producerKey === null ? {} : { [PRODUCER_KEY_HEADER]: producerKey }) };
}

/**
 * The Kafka key a dead letter is re-driven with: the routing key of its event (`routingKeyOf`) when
 * its value decodes as a valid event, which fixes a `misrouted` letter; else its original key.
 */
export function redriveKey(message: Pick<TopicMessage, 'key' | 'value'>): Buffer | string | null {
  const decoded = decodeEventBytes(message.value);
  return decoded.ok ? routingKeyOf(decoded.event) : message.key;
}

/** What `list` shows of one dead letter, from its headers and the first bytes of its value. */
export function describeDeadLetter(partition: number, message: TopicMessage): DeadLetterEntry {
  const value = message.value ?? Buffer.alloc(0);
  const sourcePartition = header(message, DLQ_HEADERS.sourcePartition);
  return {
    partition,
    offset: message.offset,
    stage: header(message, DLQ_HEADERS.stage),
    code: header(message, DLQ_HEADERS.code),
    reason: header(message, DLQ_HEADERS.reason),
    sourceTopic: header(message, DLQ_HEADERS.sourceTopic),
    sourcePartition: sourcePartition === null ? null : Number(sourcePartition),
    sourceOffset: header(message, DLQ_HEADERS.sourceOffset),
    rejectedAt: header(message, DLQ_HEADERS.rejectedAt),
    key: message.key === null ? null : message.key.toString(),
    valueBytes: value.length,
    valuePreview: value.subarray(0, PREVIEW_BYTES).toString('utf8'),
  };
}

export function formatEntry(e: DeadLetterEntry): string {
  const preview = JSON.stringify(e.valuePreview) + (e.valueBytes > PREVIEW_BYTES ? ` (+${e.valueBytes - PREVIEW_BYTES} bytes)` : '');
  return [
    `${e.partition}:${e.offset}  ${e.stage ?? '?'}  ${e.code ?? '?'}  ${e.rejectedAt ?? '?'}  from ${e.sourceTopic ?? '?'}/${e.sourcePartition ?? '?'}/${e.sourceOffset ?? '?'}`,
    `    reason: ${e.reason ?? '(none)'}`,
    `    value:  ${preview}`,
  ].join('\n');
}

async function readDeadLetters(io: CliIo, topic: string | undefined) {
  const config = cliConfig(io.env, { DLQ_TOPIC: topic });
  const kafka = createKafka(config, 'dvc-cli', cliLogger(io));
  const messages: { partition: number; message: TopicMessage }[] = [];
  await readTopicToEnd(kafka, config.DLQ_TOPIC, (partition, message) => messages.push({ partition, message }));
  messages.sort((a, b) => a.partition - b.partition || Number(a.message.offset) - Number(b.message.offset));
  return { kafka, dlqTopic: config.DLQ_TOPIC, messages };
}

async function list(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(argv, { topic: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } });
  if (values.help === true) {
    io.stdout.write(DLQ_HELP);
    return 0;
  }
  const limit = intFlag('limit', values.limit, 1);
  const { messages, dlqTopic } = await readDeadLetters(io, values.topic);
  const entries = messages.slice(0, limit ?? messages.length).map(({ partition, message }) => describeDeadLetter(partition, message));
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify(entries)}\n`);
    return 0;
  }
  for (const e of entries) io.stdout.write(`${formatEntry(e)}\n`);
  const byCode = new Map<string, number>();
  for (const { message } of messages) {
    const code = header(message, DLQ_HEADERS.code) ?? 'no code';
    byCode.set(code, (byCode.get(code) ?? 0) + 1);
  }
  const counts = [...byCode].sort(([a], [b]) => a.localeCompare(b)).map(([code, n]) => `${code} ${n}`);
  io.stdout.write(`${entries.length} of ${messages.length} dead letters in ${dlqTopic}${counts.length > 0 ? ` (by code: ${counts.join(', ')})` : ''}\n`);
  return 0;
}

/** A dead-letter code flag: one of DLQ_CODES; `undefined` when not given. */
function codeFlag(raw: string | undefined): DlqCode | undefined {
  if (raw === undefined) return undefined;
  const code = DLQ_CODES.find((c) => c === raw.trim());
  if (code === undefined) throw new UsageError(`--code must be one of ${DLQ_CODES.join(', ')}, got '${raw}'`);
  return code;
}

async function redrive(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(argv, flagSpec(['topic', 'offsets', 'reason', 'code', 'to'], ['all', 'dry-run']));
  if (values.help === true) {
    io.stdout.write(DLQ_HELP);
    return 0;
  }
  const filtering = values.reason !== undefined || values.code !== undefined;
  const selectors = [values.offsets !== undefined, values.all === true, filtering].filter(Boolean).length;
  if (selectors !== 1) throw new UsageError('choose the dead letters with exactly one of --offsets, --all or --reason (and/or --code)');
  const wanted = values.offsets === undefined ? undefined : offsetsFlag('offsets', values.offsets);
  const reason = regexFlag('reason', values.reason);
  const code = codeFlag(values.code);
  const { kafka, dlqTopic, messages } = await readDeadLetters(io, values.topic);

  let selected = messages;
  if (wanted !== undefined) {
    const byPosition = new Map(messages.map((m) => [`${m.partition}:${m.message.offset}`, m]));
    const missing = wanted.filter((w) => !byPosition.has(`${w.partition}:${w.offset}`));
    if (missing.length > 0) {
      io.stderr.write(`dvc dlq redrive: not in ${dlqTopic}: ${missing.map((m) => `${m.partition}:${m.offset}`).join(', ')} (see dvc dlq list)\n`);
      return 1;
    }
    selected = wanted.map((w) => byPosition.get(`${w.partition}:${w.offset}`)).filter((m) => m !== undefined);
  } else if (filtering) {
    selected = messages.filter(
      (m) =>
        (reason === undefined || reason.test(header(m.message, DLQ_HEADERS.reason) ?? '')) &&
        (code === undefined || header(m.message, DLQ_HEADERS.code) === code),
    );
  }

  const plan = selected.map(({ partition, message }) => ({
    from: `${dlqTopic}:${partition}:${message.offset}`,
    to: values.to ?? header(message, DLQ_HEADERS.sourceTopic),
    message,
  }));
  const unroutable = plan.filter((p) => p.to === null);
  if (unroutable.length > 0) {
    io.stderr.write(`dvc dlq redrive: no source topic header on ${unroutable.map((p) => p.from).join(', ')}; give --to TOPIC\n`);
    return 1;
  }
  const perTopic = new Map<string, number>();
  for (const p of plan) perTopic.set(p.to ?? '', (perTopic.get(p.to ?? '') ?? 0) + 1);
  const summary = [...perTopic].map(([t, n]) => `${n} to ${t}`).join(', ');
  if (values['dry-run'] === true) {
    for (const p of plan) io.stdout.write(`would re-drive ${p.from} -> ${p.to ?? ''}\n`);
    io.stdout.write(`dry run: ${plan.length} of ${messages.length} dead letters selected${plan.length > 0 ? ` (${summary})` : ''}\n`);
    return 0;
  }
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const progress = new Progress({ stream: io.stderr, now: io.now, label: 'dead letters', total: plan.length });
  try {
    for (let i = 0; i < plan.length; i += 500) {
      const chunk = plan.slice(i, i + 500);
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...new Set(chunk.map((p) => p.to ?? ''))].map((topic) => ({
          topic,
          messages: chunk
            .filter((p) => p.to === topic)
            .map((p) => ({ key: redriveKey(p.message), value: p.message.value, headers: redrivenHeaders(p.message, p.from) })),
        })),
      });
      progress.update(i + chunk.length);
    }
    progress.finish();
  } finally {
    await producer.disconnect();
  }
  io.stdout.write(`re-drove ${plan.length} of ${messages.length} dead letters${plan.length > 0 ? ` (${summary})` : ''}\n`);
  return 0;
}

export async function dlqCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [action, ...rest] = argv;
  if (action === undefined || action === '--help' || action === '-h') {
    (action === undefined ? io.stderr : io.stdout).write(DLQ_HELP);
    return action === undefined ? 2 : 0;
  }
  if (action === 'list') return list(rest, io);
  if (action === 'redrive') return redrive(rest, io);
  throw new UsageError(`unknown dlq action '${action}' (list or redrive)`);
}
