export { run, usage } from './cli.js';
export type { CliIo, Command, OutStream } from './io.js';
