import type { IHeaders } from 'kafkajs';
import type { DvcEvent, EventType, UnitDirectory } from '@dvc/domain';
import { typeInScope, unitInScope } from '@dvc/keys';
import { EVENT_HEADERS } from './event-message.js';

/**
 * Who wrote a message of the events topic. Every producer (ingest, and any system writing
 * straight to Kafka) puts the id of its producer key (a key of the role `producer` in the keys
 * store, `dvc keys create --role producer`) in this header; consumers that check producers
 * (`PRODUCER_KEYS_FILE`) dead-letter a message without a known producer key id with the code
 * `unauthenticated`, and one outside that key's units or event types with `forbidden`.
 */
export const PRODUCER_KEY_HEADER = EVENT_HEADERS.producerKey;

/** The codes of a message refused for who wrote it. */
export const PRODUCER_CODES = ['unauthenticated', 'forbidden'] as const;
export type ProducerCode = (typeof PRODUCER_CODES)[number];

/** What a producer key allows, as the keys store records it (`ApiKeyRecord` of @dvc/keys). */
export interface ProducerKey {
  id: string;
  /** Absent: the store's default role (`replay`), never a producer. */
  role?: string;
  /** Unit ids, `tree:<unit id>` entries (the unit and everything under it in the directory), or '*'. */
  units: '*' | readonly string[];
  types: '*' | readonly EventType[];
}

export type ProducerVerdict = { ok: true; key: ProducerKey } | { ok: false; code: ProducerCode; reason: string };

/**
 * Judges the producer of each message: first the key id alone, then, once decoded, the event
 * against the key's scope, with the rules of @dvc/keys (`unitInScope`, `typeInScope`) the ingest
 * applies: a `tree:<unit>` entry covers the unit and every unit under it in `directory` (the unit
 * directory the message was admitted with).
 */
export interface ProducerGate {
  identify(keyId: string | undefined): ProducerVerdict;
  scope(key: ProducerKey, event: DvcEvent, directory: Pick<UnitDirectory, 'record'>): { ok: true } | { ok: false; code: 'forbidden'; reason: string };
}

/** The text of a header (the last value when repeated), or undefined. */
export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const raw = headers?.[name];
  const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  if (value === undefined) return undefined;
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

/** A scope as a key lists it ('*' never reaches here: it covers everything). */
const scopeText = (scope: '*' | readonly string[]): string => (scope === '*' ? '*' : scope.join(', '));

/** A header value quoted for a reason: at most 64 characters, JSON-escaped (it is input, possibly hostile). */
/** A text for a reason sentence: JSON-quoted (control characters escaped), cut at 64 characters. */
export function quoted(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

/**
 * The gate over a keys store: `lookup` returns the record of a key id as the store holds it now
 * (`dvc keys revoke` removes the record, so a revoked key id is unknown), read per message, so a key created or revoked with
 * `dvc keys` counts from the next batch the file is reloaded for.
 */
export function producerGate(lookup: (keyId: string) => ProducerKey | undefined): ProducerGate {
  return {
    identify(keyId) {
      if (keyId === undefined || keyId === '') {
        return { ok: false, code: 'unauthenticated', reason: `no producer key id: the header ${PRODUCER_KEY_HEADER} is missing or empty` };
      }
      const key = lookup(keyId);
      if (key === undefined)
        return { ok: false, code: 'unauthenticated', reason: `${PRODUCER_KEY_HEADER} ${quoted(keyId)} is no key of the keys store (unknown or revoked)` };
      if (key.role !== 'producer') {
        return {
          ok: false,
          code: 'unauthenticated',
          reason: `${PRODUCER_KEY_HEADER} ${quoted(keyId)} names a key of the role '${key.role ?? 'replay'}', not 'producer'`,
        };
      }
      return { ok: true, key };
    },
    scope(key, event, directory) {
      if (!unitInScope(key.units, event.unitid, directory)) {
        return {
          ok: false,
          code: 'forbidden',
          reason: `producer key '${key.id}' may not write for unit '${event.unitid}' (its units: ${scopeText(key.units)})`,
        };
      }
      if (!typeInScope(key.types, event.type)) {
        return {
          ok: false,
          code: 'forbidden',
          reason: `producer key '${key.id}' may not write events of type '${event.type}' (its types: ${scopeText(key.types)})`,
        };
      }
      return { ok: true };
    },
  };
}
