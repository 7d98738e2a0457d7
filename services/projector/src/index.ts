export { createProjector, type Projector, type ProjectorDeps } from './consumer.js';
export { decodeMessage, formatProblems, type Decoded } from './decode.js';
