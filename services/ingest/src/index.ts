export { createApp, type IngestApp, type IngestDeps, type EventPublisher } from './app.js';
export { kafkaEventPublisher } from './kafka-publisher.js';
export { bodyKindOf, parseBody, CONTENT_TYPES, type BodyKind, type InvalidEvent, type ParsedBody } from './parse.js';
