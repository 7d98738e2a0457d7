import { ConfigError, describeConfig } from '@dvc/config';
import { NamespaceError, SwitchConflictError } from '@dvc/read-model';
import { UsageError } from './args.js';
import { cliSpec } from './config.js';
import type { CliIo, Command } from './io.js';
import { CALENDAR_HELP, calendarCommand } from './commands/calendar.js';
import { DLQ_HELP, dlqCommand } from './commands/dlq.js';
import { KEYS_HELP, keysCommand } from './commands/keys.js';
import { NAMESPACES_HELP, namespacesCommand } from './commands/namespaces.js';
import { REBUILD_HELP, rebuildCommand } from './commands/rebuild.js';
import { REPLAY_HELP, replayCommand } from './commands/replay.js';

interface Entry {
  summary: string;
  help: string;
  run: Command;
}

const COMMANDS: Record<string, Entry> = {
  rebuild: { summary: 'rebuild the projection from the event store into a new namespace, compare, switch', help: REBUILD_HELP, run: rebuildCommand },
  dlq: { summary: 'list the dead-letter topic, re-drive dead letters to their source topic', help: DLQ_HELP, run: dlqCommand },
  replay: { summary: "republish a filtered range of the event store's history to a Kafka topic", help: REPLAY_HELP, run: replayCommand },
  keys: { summary: 'create, list and revoke API keys (replay API, ops board, ingest producers)', help: KEYS_HELP, run: keysCommand },
  namespaces: { summary: 'list the projection namespaces and which one is live', help: NAMESPACES_HELP, run: namespacesCommand },
  calendar: {
    summary: "check a working-day calendar file before deploying it; show a year's days off and their source",
    help: CALENDAR_HELP,
    run: calendarCommand,
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `dvc: operator CLI of the dossier metrics pipeline

Usage: dvc <command> [options]      dvc <command> --help (or dvc help <command>) for its options

Commands:
${lines.join('\n')}

${describeConfig('Settings come from the environment (flags of a command override them)', cliSpec).split('\n').slice(2).join('\n')}`;
}

/** Runs one command line; returns the exit code (0 ok, 1 failure or differences, 2 bad usage or configuration). */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'help' && rest[0] !== undefined && COMMANDS[rest[0]] !== undefined) {
    io.stdout.write(COMMANDS[rest[0]]?.help ?? '');
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr.write(`dvc: unknown command '${name}'; commands: ${Object.keys(COMMANDS).join(', ')} (dvc --help)\n`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`dvc ${name}: ${error.message}\nRun 'dvc ${name} --help' for its options.\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.stderr.write(`dvc ${name}: ${error.message}\nRun 'dvc --help' to see every variable.\n`);
      return 2;
    }
    if (error instanceof NamespaceError || error instanceof SwitchConflictError) {
      io.stderr.write(`dvc ${name}: ${error.message}\n`);
      return 1;
    }
    const cause = error instanceof Error ? error.message : String(error);
    io.stderr.write(`dvc ${name}: failed: ${cause}\n`);
    return 1;
  }
}
