import { isUtf8 } from 'node:buffer';
import { jsonBytesProblem, parseJson, validateEvent, type DvcEvent, type Problem } from '@dvc/domain';

export type Decoded = { ok: true; event: DvcEvent } | { ok: false; reason: string };

export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.path || '/'} ${p.message}`).join('; ');
}

/**
 * Turns the bytes of one message (a Kafka value) into a valid event, or a reason naming every
 * problem: bytes that are not UTF-8 JSON text (with the offset of the first bad byte), malformed
 * JSON, or each contract violation with its JSON Pointer. Never throws, whatever the bytes.
 * Every consumer of the event topic decodes with this, so they accept and refuse the same events.
 */
export function decodeEventBytes(value: Buffer | null): Decoded {
  if (value === null) return { ok: false, reason: 'empty message (tombstone)' };
  // Native checks first (the hot path); the domain's byte walk runs only to name the problem.
  if (value.length === 0 || !isUtf8(value) || value.indexOf(0) >= 0) {
    const bytesProblem = jsonBytesProblem(value);
    if (bytesProblem !== undefined) return { ok: false, reason: `value ${bytesProblem.message}` };
  }
  const parsed = parseJson(value.toString('utf8'));
  if (!parsed.ok) return { ok: false, reason: parsed.problems.map((p) => p.message).join('; ') };
  const result = validateEvent(parsed.value);
  return result.ok ? result : { ok: false, reason: formatProblems(result.problems) };
}
