import { isUtf8 } from 'node:buffer';
import { admitEvent, jsonBytesProblem, parseJson, validateEvent, type AdmissionLimits, type DvcEvent, type Problem } from '@dvc/domain';
import type { DlqCode } from './dead-letter.js';

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

export type Admitted = { ok: true; event: DvcEvent } | { ok: false; code: DlqCode; reason: string };

/**
 * Decodes one message of the event topic and admits it: the one decision every consumer of the
 * topic (projector, archiver) makes, so they keep and refuse the same events. "Now" is the
 * earlier of the message's timestamp and the consumer's wall clock: an event is judged as of
 * when it was written (a backlog consumed hours later gets the verdict it would have got at
 * once; a re-driven copy is judged when it is re-driven), and a forged future message timestamp
 * is clamped to now.
 */
export function admitMessage(value: Buffer | null, messageTimestamp: string | undefined, limits: AdmissionLimits, wallMs: number): Admitted {
  const decoded = decodeEventBytes(value);
  if (!decoded.ok) return { ok: false, code: 'invalid', reason: decoded.reason };
  const written = Number(messageTimestamp);
  const referenceMs = Number.isFinite(written) && written > 0 ? Math.min(written, wallMs) : wallMs;
  const admitted = admitEvent(decoded.event, { ...limits, referenceMs });
  return admitted.ok ? decoded : { ok: false, code: admitted.code, reason: formatProblems(admitted.problems) };
}
