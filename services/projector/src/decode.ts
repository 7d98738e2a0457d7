import { validateEvent, type DvcEvent, type Problem } from '@dvc/domain';

export type Decoded = { ok: true; event: DvcEvent } | { ok: false; reason: string };

/** Turns one Kafka message value into a valid event, or a reason naming every problem. */
export function decodeMessage(value: Buffer | null): Decoded {
  if (value === null) return { ok: false, reason: 'empty message (tombstone)' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (error) {
    return { ok: false, reason: `malformed JSON: ${(error as Error).message}` };
  }
  const result = validateEvent(parsed);
  return result.ok ? result : { ok: false, reason: formatProblems(result.problems) };
}

export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.path || '/'} ${p.message}`).join('; ');
}
