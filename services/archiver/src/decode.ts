import { parseJson, validateEvent, type DvcEvent, type Problem } from '@dvc/domain';

export type Decoded = { ok: true; event: DvcEvent } | { ok: false; reason: string };

function describe(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.path || '/'} ${p.message}`).join('; ');
}

/** One Kafka message value as a valid event, or the reason it is not one. */
export function decodeMessage(value: Buffer | null): Decoded {
  if (value === null) return { ok: false, reason: 'empty message (tombstone)' };
  const parsed = parseJson(value.toString('utf8'));
  if (!parsed.ok) return { ok: false, reason: describe(parsed.problems) };
  const result = validateEvent(parsed.value);
  return result.ok ? result : { ok: false, reason: describe(result.problems) };
}
