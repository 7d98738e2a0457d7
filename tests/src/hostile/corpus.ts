/**
 * Named hostile inputs for the HTTP edge and the Kafka path. Each case is the exact bytes of one
 * request body (application/cloudevents+json) or one Kafka message value, with the refusal both
 * paths must give: the HTTP status and rejection reason, the JSON Pointer of the problem when it
 * is inside an event, and what the reason says.
 */
import { ev } from '@dvc/testing';

export interface HostileCase {
  name: string;
  /** null: a Kafka tombstone (no HTTP form). */
  bytes: Buffer | null;
  /** Where the problem is (a JSON Pointer), when it is inside an event; absent for body-level refusals. */
  path?: string;
  /** What the reason says (HTTP problem message or error; Kafka dead-letter reason). */
  message: RegExp;
  /** The HTTP answer; absent when the case only exists on Kafka. */
  http?: { status: 400 | 413; reason: string };
  /** False when Kafka itself would refuse the bytes (over the broker's message size). */
  kafka: boolean;
}

const T = '2022-06-20T08:00:00+07:00';
let sequence = 0;

/** A fresh valid dossier.received event of `unit` as a plain object, to be spoiled. */
function received(unit: string): Record<string, unknown> & { data: Record<string, unknown> } {
  sequence += 1;
  return ev.received(unit, `H-${sequence}`, T, 'online', { processingDays: 5 }) as Record<string, unknown> & { data: Record<string, unknown> };
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

export function hostileCases(unit: string): HostileCase[] {
  const withData = (patch: Record<string, unknown>) => {
    const e = received(unit);
    return { ...e, data: { ...e.data, ...patch } };
  };
  const withUnit = (unitId: string) => {
    const e = received(unit);
    return { ...e, unitid: unitId, data: { ...e.data, unitId } };
  };
  const payment = () => {
    sequence += 1;
    return ev.payment(unit, `PAY-${sequence}`, T, 'fee', 'online', 0) as { data: Record<string, unknown> } & Record<string, unknown>;
  };
  const withAmount = (amountVnd: unknown) => {
    const p = payment();
    return { ...p, data: { ...p.data, amountVnd } };
  };
  const event = (patch: Record<string, unknown>) => ({ ...received(unit), ...patch });
  const bad = (name: string, value: unknown, path: string, message: RegExp): HostileCase => ({
    name,
    bytes: json(value),
    path,
    message,
    http: { status: 400, reason: 'invalid_events' },
    kafka: true,
  });
  const body = (name: string, bytes: Buffer, reason: string, message: RegExp, status: 400 | 413 = 400): HostileCase => ({
    name,
    bytes,
    message,
    http: { status, reason },
    kafka: true,
  });
  const valid = JSON.stringify(received(unit));
  const DEPTH = 100_000;
  const CONTROL = /must not contain control characters/;
  const UNIT_RULE = /must be a unit id: 1 to 64 characters/;

  return [
    // Malformed, truncated and oversized
    body('truncated JSON', Buffer.from(valid.slice(0, 60)), 'malformed_json', /malformed JSON/),
    body('garbage after the JSON', Buffer.from(`${valid}}}`), 'malformed_json', /malformed JSON: Unexpected non-whitespace character after JSON/),
    body('not JSON at all', Buffer.from('DROP TABLE dossiers;'), 'malformed_json', /malformed JSON/),
    body('empty', Buffer.alloc(0), 'empty', /empty: a JSON value is required/),
    { name: 'tombstone', bytes: null, message: /^empty message \(tombstone\)$/, kafka: true },
    bad('JSON null', null, '', /an event must be a JSON object/),
    {
      name: 'an array sent as one event',
      bytes: json([received(unit)]),
      message: /send arrays as application\/cloudevents-batch\+json|an event must be a JSON object/,
      http: { status: 400, reason: 'not_a_batch' },
      kafka: true,
    },
    {
      name: 'body over the size limit (2 MiB)',
      bytes: json({ ...received(unit), blob: 'x'.repeat(2 * 1024 * 1024) }),
      message: /body larger than/,
      http: { status: 413, reason: 'too_large' },
      kafka: false,
    },
    bad(
      'huge string (600 KB) in an extension attribute',
      { ...received(unit), blob: 'x'.repeat(600_000) },
      '/blob',
      /extension attribute must be a string of at most 2048/,
    ),
    bad('huge id (10 KB)', event({ id: 'i'.repeat(10_000) }), '/id', /expected string length less or equal to 256/),
    // Encodings
    body('UTF-16LE with a byte order mark', Buffer.from(`\ufeff${valid}`, 'utf16le'), 'encoding', /starts with a UTF-16 byte order mark: send UTF-8/),
    body('UTF-16LE without a byte order mark', Buffer.from(valid, 'utf16le'), 'encoding', /NUL byte at offset 1 \(this looks like UTF-16 or UTF-32\)/),
    body(
      'invalid UTF-8 (Latin-1 text)',
      Buffer.from(JSON.stringify(event({ source: 'cổng-dịch-vụ-công' })), 'latin1'),
      'encoding',
      /not valid UTF-8 at byte offset \d+/,
    ),
    body(
      'lone continuation byte',
      Buffer.concat([Buffer.from(valid.slice(0, 20)), Buffer.from([0x80]), Buffer.from(valid.slice(20))]),
      'encoding',
      /not valid UTF-8 at byte offset 20/,
    ),
    body(
      'raw NUL byte',
      Buffer.concat([Buffer.from(valid.slice(0, 10)), Buffer.from([0]), Buffer.from(valid.slice(10))]),
      'encoding',
      /NUL byte at offset 10: send UTF-8 JSON/,
    ),
    bad('escaped NUL in the id', event({ id: 'evt\u0000drop' }), '/id', CONTROL),
    bad('newline in the subject (log injection)', withData({ dossierId: 'H-1\nlevel=error' }), '/data/dossierId', CONTROL),
    // Deep nesting
    {
      name: `array nested ${DEPTH} levels`,
      bytes: Buffer.from(`${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`),
      message: /send arrays as application\/cloudevents-batch\+json|an event must be a JSON object/,
      http: { status: 400, reason: 'not_a_batch' },
      kafka: true,
    },
    {
      name: `object nested ${DEPTH} levels in an extension attribute`,
      bytes: Buffer.from(`${valid.slice(0, -1)},"deep":${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}}`),
      path: '/deep',
      message: /extension attribute must be/,
      http: { status: 400, reason: 'invalid_events' },
      kafka: true,
    },
    bad('prototype pollution attempt', JSON.parse(`{"__proto__":{"polluted":true},${valid.slice(1)}`) as unknown, '/__proto__', /extension attribute must be/),
    // Types
    bad('unknown type', event({ type: 'vn.dvc.dossier.exploded' }), '/type', /unknown event type 'vn\.dvc\.dossier\.exploded'/),
    bad('misspelled type', event({ type: 'vn.dvc.dossier.recieved' }), '/type', /did you mean 'vn\.dvc\.dossier\.received'\?/),
    bad('type is a number', event({ type: 42 }), '/type', /must be a string naming an event type/),
    bad('specversion 0.3', event({ specversion: '0.3' }), '/specversion', /expected '1\.0'/),
    bad('processingDays as text', withData({ processingDays: 'three' }), '/data/processingDays', /expected integer/),
    bad('channel not in the enum', withData({ channel: 'fax' }), '/data/channel', /expected union value/),
    bad('unknown data field (personal data)', withData({ applicantName: 'Nguyễn Văn A' }), '/data/applicantName', /unexpected property/),
    bad('missing receivedAt', withData({ receivedAt: undefined }), '/data/receivedAt', /expected required property/),
    bad('subject not the dossier', event({ subject: 'OTHER' }), '/subject', /must equal data\.dossierId/),
    // Impossible dates, times and offsets
    bad('30 February', withData({ receivedAt: '2022-02-30T08:00:00+07:00' }), '/data/receivedAt', /day 30 does not exist in 2022-02/),
    bad('hour 24', withData({ receivedAt: '2022-06-20T24:00:00+07:00' }), '/data/receivedAt', /time 24:00:00 does not exist/),
    bad('leap second', withData({ receivedAt: '2016-12-31T23:59:60Z' }), '/data/receivedAt', /time 23:59:60 does not exist/),
    bad('offset +15:00', withData({ receivedAt: '2022-06-20T08:00:00+15:00' }), '/data/receivedAt', /offset \+15:00 is outside -12:00…\+14:00/),
    bad('offset +25:00', event({ time: '2022-06-20T08:00:00+25:00' }), '/time', /offset \+25:00 does not exist/),
    bad('no offset', withData({ receivedAt: '2022-06-20T08:00:00' }), '/data/receivedAt', /must be an RFC 3339 date-time with an offset/),
    bad(
      'time zone name instead of an offset',
      withData({ receivedAt: '2022-06-20T08:00:00 Asia/Ho_Chi_Minh' }),
      '/data/receivedAt',
      /must be an RFC 3339 date-time with an offset/,
    ),
    bad('year 9999', withData({ receivedAt: '9999-06-20T08:00:00Z' }), '/data/receivedAt', /year 9999 is outside 1990–2100/),
    bad('due before receipt', withData({ dueAt: '2022-06-19T08:00:00+07:00' }), '/data/dueAt', /must not be earlier than receivedAt/),
    // Amounts
    bad('negative amount', withAmount(-5), '/data/amountVnd', /expected integer to be greater or equal to 0/),
    bad('enormous amount', withAmount(1e300), '/data/amountVnd', /expected integer to be less or equal to/),
    bad('non-integer amount', withAmount(1500.5), '/data/amountVnd', /expected integer/),
    bad('amount as text', withAmount('50000'), '/data/amountVnd', /expected integer/),
    // Label injection through unit ids
    bad('unit id with a quote', withUnit('bp"} 1\n'), '/unitid', UNIT_RULE),
    bad('unit id with braces', withUnit('bp{level="province"}'), '/unitid', UNIT_RULE),
    bad('unit id with a newline', withUnit('bp\ndvc_fake 1'), '/unitid', UNIT_RULE),
    bad('very long unit id', withUnit('u'.repeat(300)), '/unitid', UNIT_RULE),
    bad('unit id with a Cyrillic look-alike', withUnit('bp.stnmт'), '/unitid', UNIT_RULE),
    bad('unit id in upper case', withUnit('BP.STNMT'), '/unitid', UNIT_RULE),
  ];
}
