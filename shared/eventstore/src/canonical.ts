import { createHash } from 'node:crypto';
import type { DvcEvent } from '@dvc/domain';

/** JSON with object keys sorted, so that key order does not make two equal events differ. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 (hex) of the event's canonical JSON: what tells a same-body duplicate from a conflicting one. */
export function bodyHash(event: DvcEvent): string {
  return createHash('sha256').update(canonicalJson(event)).digest('hex');
}
