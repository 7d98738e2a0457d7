export { uniqueName, waitFor } from './wait.js';
export type { WaitOptions } from './wait.js';
