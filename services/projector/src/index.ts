export { createProjector, type Projector, type ProjectorDeps } from './consumer.js';
