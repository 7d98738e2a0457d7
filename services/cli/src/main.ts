#!/usr/bin/env node
import { logProcessWarnings } from '@dvc/service';
import { cliLogger, type CliIo } from './io.js';
import { onPinnedRuntime } from './runtime.js';

// First of all, the runtime: on another Node.js major the command runs again on the pinned one,
// before any command (and its native SQLite module) is loaded here.
const handled = await onPinnedRuntime(process.stderr);
if (handled !== undefined) {
  process.exitCode = handled;
} else {
  const { run } = await import('./cli.js');
  const io: CliIo = { env: process.env, stdout: process.stdout, stderr: process.stderr, now: Date.now };
  // Process warnings (kafkajs' negative timeout among them) go to the CLI's JSON log like the
  // services' do, not as plain text between a command's lines.
  logProcessWarnings(cliLogger(io));
  process.exitCode = await run(process.argv.slice(2), io);
}
