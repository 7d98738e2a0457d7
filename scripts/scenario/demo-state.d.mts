// Types of demo-state.mjs for TypeScript callers (tests).

export const DEMO_CASE: 'binh-phuoc-2022';
export const MARKER_VERSION: 1;
export const SETTING_NAMES: Readonly<Record<keyof DemoSettings, string>>;

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
  version: 1;
  case: 'binh-phuoc-2022';
  events: number;
  kafkaClusterId: string;
  topicEnd: number;
  applied: number;
  storeHead: number;
  loadedAt: string;
}

export function createMarker(settings: DemoSettings, facts: DemoFacts & { topicEnd: number }, events: number, loadedAt: string): DemoMarker;
export function parseMarker(text: string): { marker: DemoMarker; problem?: undefined } | { problem: string; marker?: undefined };
export function settingsDrift(marker: DemoMarker, settings: DemoSettings): string[];
export function dataGaps(marker: DemoMarker, facts: DemoFacts): string[];
