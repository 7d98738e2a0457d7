export { createArchiver, type Archiver, type ArchiverDeps } from './archiver.js';
export { classifyResults, conflictLetter, conflictReason, type Archivable, type BatchOutcome, type Conflict } from './classify.js';
