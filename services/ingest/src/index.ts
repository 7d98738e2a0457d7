export { createApp, type IngestApp, type IngestDeps, type EventPublisher } from './app.js';
export { kafkaEventPublisher } from './kafka-publisher.js';
export { bodyKindOf, parseBody, CONTENT_TYPES, MAX_LISTED_INVALID, type BodyKind, type InvalidEvent, type ParsedBody, type RejectReason } from './parse.js';
