import { run, usage } from './cli.js';
import type { CliIo } from './io.js';

function bufferIo(): CliIo & { out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    env: {},
    now: () => 0,
    stdout: { write: (c: string) => out.push(c) },
    stderr: { write: (c: string) => err.push(c) },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

describe('dvc dispatcher', () => {
  it('prints the command list and every variable on --help, exit 0', async () => {
    const io = bufferIo();
    expect(await run(['--help'], io)).toBe(0);
    for (const command of ['rebuild', 'dlq', 'replay', 'keys', 'namespaces', 'calendar']) expect(io.out()).toContain(`  ${command} `);
    expect(io.out()).toContain('EVENTSTORE_URL');
    expect(io.out()).toContain('ARCHIVER_GROUP');
    expect(usage()).toBe(io.out());
  });

  it('without a command prints the usage on stderr, exit 2', async () => {
    const io = bufferIo();
    expect(await run([], io)).toBe(2);
    expect(io.err()).toContain('Usage: dvc <command>');
  });

  it('names an unknown command and lists the known ones, exit 2', async () => {
    const io = bufferIo();
    expect(await run(['rebiuld'], io)).toBe(2);
    expect(io.err()).toContain("unknown command 'rebiuld'");
    expect(io.err()).toContain('rebuild, dlq, replay, keys, namespaces');
  });

  it('names an unknown flag and points to the command help, exit 2', async () => {
    const io = bufferIo();
    expect(await run(['rebuild', '--swtich'], io)).toBe(2);
    expect(io.err()).toBe("dvc rebuild: Unknown option '--swtich'\nRun 'dvc rebuild --help' for its options.\n");
  });

  it('rejects contradictory and malformed flags before touching anything', async () => {
    const io = bufferIo();
    expect(await run(['rebuild', '--switch', '--force'], io)).toBe(2);
    expect(await run(['rebuild', '--batch', 'lots'], io)).toBe(2);
    expect(await run(['dlq', 'redrive'], io)).toBe(2);
    expect(await run(['replay', '--types', 'resolved'], io)).toBe(2);
    expect(await run(['replay', '--to', 't', '--from', '2022-06-02', '--until', '2022-06-01'], io)).toBe(2);
    expect(io.err()).toContain('--switch, --force and --no-switch exclude each other');
    expect(io.err()).toContain("--batch must be a whole number, got 'lots'");
    expect(io.err()).toContain('exactly one of --offsets, --all or --reason');
    expect(io.err()).toContain('--to TOPIC is required');
    expect(io.err()).toContain('--until must be after --from');
  });

  it('names a bad setting of the environment, exit 2', async () => {
    const io = bufferIo();
    io.env.REDIS_URL = 'http://nope';
    expect(await run(['namespaces'], io)).toBe(2);
    expect(io.err()).toContain('REDIS_URL');
    const both = bufferIo();
    both.env.CLOCK = 'event';
    both.env.CLOCK_AS_OF = '2022-06-22T17:00:00+07:00';
    expect(await run(['namespaces'], both)).toBe(2);
    expect(both.err()).toContain('CLOCK_AS_OF pins the clock at 2022-06-22T10:00:00.000Z and cannot be combined with CLOCK=event');
  });

  it('shows each command help with --help and with dvc help <command>', async () => {
    for (const command of ['rebuild', 'dlq', 'replay', 'namespaces', 'calendar']) {
      const a = bufferIo();
      const b = bufferIo();
      expect(await run([command, '--help'], a)).toBe(0);
      expect(await run(['help', command], b)).toBe(0);
      expect(a.out()).toContain(`dvc ${command}`);
      expect(b.out()).toBe(a.out());
    }
  });
});
