export { createProjector, type BatchRules, type Projector, type ProjectorDeps } from './consumer.js';
