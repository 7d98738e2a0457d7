// Whether the Bình Phước 2022 demo (`DEMO=binh-phuoc-2022 npm start`) is already loaded and can
// be reused, decided from its marker, the settings of this start and what the stack holds now.
// Pure: no I/O. demo.ts gathers the facts and acts on the answer.

export const DEMO_CASE = 'binh-phuoc-2022';
export const MARKER_VERSION = 1;

/** What a load is keyed by: what was sent and where it went. */
export interface DemoSettings {
  seed: number;
  fingerprint: string;
  eventsTopic: string;
  dlqTopic: string;
  projectorGroup: string;
  archiverGroup: string;
  namespace: string;
  /** REDIS_URL with any password masked. */
  redis: string;
  /** EVENTSTORE_URL with any password masked. */
  eventStore: string;
}

/** What the stack holds: Kafka's cluster id, the topic's end (sum of end offsets; undefined when the topic is missing), applied events of the live projection, the event store's head. */
export interface DemoFacts {
  kafkaClusterId: string;
  topicEnd: number | undefined;
  applied: number;
  storeHead: number;
}

export interface DemoMarker extends DemoSettings {
  version: typeof MARKER_VERSION;
  case: typeof DEMO_CASE;
  events: number;
  kafkaClusterId: string;
  topicEnd: number;
  applied: number;
  storeHead: number;
  loadedAt: string;
}

/** The settings a load is keyed by, with the names users know them by. */
export const SETTING_NAMES: Readonly<Record<keyof DemoSettings, string>> = Object.freeze({
  seed: 'the scenario seed',
  fingerprint: 'the scenario generator and reference data',
  eventsTopic: 'EVENTS_TOPIC',
  dlqTopic: 'DLQ_TOPIC',
  projectorGroup: 'PROJECTOR_GROUP',
  archiverGroup: 'ARCHIVER_GROUP',
  namespace: 'REDIS_NAMESPACE',
  redis: 'REDIS_URL',
  eventStore: 'EVENTSTORE_URL',
});

/** What the stack holds after a complete load (the marker) or now (the facts). */
const FACT_KEYS = ['topicEnd', 'applied', 'storeHead'] as const;

const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * The marker written once a load is complete: every event accepted by the ingest, then consumed
 * by the projector and the archiver. `events` is how many were sent; the facts are what the
 * topic (sum of end offsets), the live projection (applied events) and the event store (head
 * position) held at that moment.
 */
export function createMarker(settings: DemoSettings, facts: DemoFacts & { topicEnd: number }, events: number, loadedAt: string): DemoMarker {
  return {
    version: MARKER_VERSION,
    case: DEMO_CASE,
    ...settings,
    events,
    kafkaClusterId: facts.kafkaClusterId,
    topicEnd: facts.topicEnd,
    applied: facts.applied,
    storeHead: facts.storeHead,
    loadedAt,
  };
}

/** A marker file's text: `{ marker }`, or `{ problem }` saying why it cannot be used. */
export function parseMarker(text: string): { marker: DemoMarker; problem?: undefined } | { problem: string; marker?: undefined } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { problem: `the marker is not JSON (${(error as Error).message})` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { problem: 'the marker is not a JSON object' };
  const value = parsed as Record<string, unknown>;
  if (value.version !== MARKER_VERSION) return { problem: `the marker has version ${JSON.stringify(value.version)}, not ${MARKER_VERSION}` };
  if (value.case !== DEMO_CASE) return { problem: `the marker is for case ${JSON.stringify(value.case)}, not ${DEMO_CASE}` };
  const problems: string[] = [];
  for (const key of Object.keys(SETTING_NAMES)) {
    const ok = key === 'seed' ? isCount(value[key]) : typeof value[key] === 'string' && value[key] !== '';
    if (!ok) problems.push(key);
  }
  for (const key of ['events', ...FACT_KEYS]) if (!isCount(value[key])) problems.push(key);
  if (typeof value.kafkaClusterId !== 'string' || value.kafkaClusterId === '') problems.push('kafkaClusterId');
  if (typeof value.loadedAt !== 'string' || Number.isNaN(Date.parse(value.loadedAt))) problems.push('loadedAt');
  return problems.length > 0 ? { problem: `the marker lacks or has invalid fields: ${problems.join(', ')}` } : { marker: value as unknown as DemoMarker };
}

/** Settings of this start that differ from those of the load; [] when all are the same. */
export function settingsDrift(marker: DemoMarker, settings: DemoSettings): string[] {
  const reasons: string[] = [];
  for (const [key, name] of Object.entries(SETTING_NAMES) as [keyof DemoSettings, string][]) {
    if (marker[key] !== settings[key]) {
      reasons.push(
        key === 'fingerprint'
          ? `${name} changed since the load`
          : `${name} is ${JSON.stringify(settings[key])} now, the case was loaded with ${JSON.stringify(marker[key])}`,
      );
    }
  }
  return reasons;
}

/**
 * What is missing now of what the load left: another Kafka cluster, a topic deleted or cut, a
 * projection that lost events (a Redis restarted without persistence), an event store replaced.
 * More than after the load is fine (events posted since); [] when nothing is missing.
 */
export function dataGaps(marker: DemoMarker, facts: DemoFacts): string[] {
  const gaps: string[] = [];
  if (facts.kafkaClusterId !== marker.kafkaClusterId) {
    gaps.push(`Kafka is another cluster (id ${facts.kafkaClusterId}) than the one the case was loaded into (id ${marker.kafkaClusterId})`);
  }
  if (facts.topicEnd === undefined) gaps.push(`topic ${marker.eventsTopic} does not exist`);
  else if (facts.topicEnd < marker.topicEnd)
    gaps.push(`topic ${marker.eventsTopic} ends at ${facts.topicEnd} records, it held ${marker.topicEnd} after the load`);
  if (facts.applied < marker.applied)
    gaps.push(`the projection ${marker.namespace} has applied ${facts.applied} events, it had ${marker.applied} after the load`);
  if (facts.storeHead < marker.storeHead) gaps.push(`the event store is at position ${facts.storeHead}, it was at ${marker.storeHead} after the load`);
  return gaps;
}
