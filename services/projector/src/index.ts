export { activeStore, createProjection, ProjectionDataLostError, type BatchRules, type Projection, type ProjectionDeps } from './projection.js';
