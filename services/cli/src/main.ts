#!/usr/bin/env node
import { logProcessWarnings } from '@dvc/service';
import { run } from './cli.js';
import { cliLogger, type CliIo } from './io.js';

const io: CliIo = { env: process.env, stdout: process.stdout, stderr: process.stderr, now: Date.now };
// Process warnings (kafkajs' negative timeout among them) go to the CLI's JSON log like the
// services' do, not as plain text between a command's lines.
logProcessWarnings(cliLogger(io));
process.exitCode = await run(process.argv.slice(2), io);
