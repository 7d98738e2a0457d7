// The frame every benchmark runner shares: options (--runs, --quick, --output, --section,
// --help), the stack clients, a clean-up list run whatever happens (also on Ctrl-C), and the
// report: a standalone markdown file, or one section appended to the combined report that
// scripts/bench.sh assembles.
import { appendFileSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, RESULTS_DIR, RUN_DIR, cleanUpOnInterrupt, count, fmtInt, log, median, randomTag, stackEnv } from './common.mjs';
import { machineDetails, machineTable } from './machine.mjs';

const COMMON_HELP = `Common options:
  --runs R          runs per measurement; the median is reported (quick: 1)
  --quick           small sizes and one run: proves the runner works, numbers mean little
  --output FILE     standalone markdown report (default bench/results/<name>-<date>.md; also printed)
  --section FILE    append this runner's section to the combined report FILE instead
                    (scripts/bench.sh does this; the machine table is written once, by the first)
  -h, --help        this text

Environment: KAFKA_BROKERS and REDIS_URL (else <STACK_RUN_DIR or .run>/stack.env, else 127.0.0.1:19092 and
redis://127.0.0.1:6379). Needs the services built (npx turbo run build) and Kafka + Redis up.
Service logs: bench/results/logs/. Everything created (topics, groups, Redis keys, store files,
processes) is removed at the end, also on Ctrl-C.
`;

/** Heading of the combined report, written by whichever runner appends the first section. */
export function appendSection(file, { title, markdown, machine, startedAt }) {
  mkdirSync(dirname(file), { recursive: true });
  if (!existsSync(file) || statSync(file).size === 0) {
    const date = startedAt.toISOString().slice(0, 16).replace('T', ' ');
    writeFileSync(
      file,
      `# Benchmarks — ${date} UTC\n\nEach figure is the median of the runs shown beside it. Sections in the order they ran.\n\n## Machine\n\n${machineTable(machine)}\n`,
    );
  }
  appendFileSync(file, `\n## ${title}\n\n${markdown.trim()}\n`);
}

function defaultOutput(name) {
  const date = new Date().toISOString().slice(0, 10);
  let file = join(RESULTS_DIR, `${name}-${date}.md`);
  for (let i = 2; existsSync(file); i++) file = join(RESULTS_DIR, `${name}-${date}-${i}.md`);
  return file;
}

/** A row formatter: the number with `digits` decimals, then ` unit` when given ('n/a' when not finite). */
export const fixed =
  (digits, unit = '') =>
  (x) =>
    Number.isFinite(x) ? `${x.toFixed(digits)}${unit === '' ? '' : ` ${unit}`}` : 'n/a';

/** A row formatter for sizes in bytes: `12,345 B`. */
export const bytes = (x) => `${fmtInt(x)} B`;

/** `| label | **median** | run · run · run |` */
export function row(label, list, pick, fmt) {
  const values = list.map(pick);
  return `| ${label} | **${fmt(median(values))}** | ${values.map(fmt).join(' · ')} |`;
}

export const TABLE_HEAD = '| Measure | Median | Runs |\n|---|---:|---|';

/**
 * Runs one benchmark.
 * @param {{
 *   name: string, title: string, help: string,
 *   options: Record<string, { type: 'string' | 'boolean', default?: string | boolean, quick?: string }>,
 *   needsKafka?: boolean,
 *   main: (ctx: object) => Promise<{ markdown: string, raw?: object }>,
 * }} spec
 */
export async function runBench(spec) {
  const parseOptions = {
    runs: { type: 'string' },
    quick: { type: 'boolean', default: false },
    output: { type: 'string' },
    section: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  };
  for (const [key, o] of Object.entries(spec.options)) parseOptions[key] = { type: o.type };
  const helpText = `${spec.help.trimEnd()}\n\n${COMMON_HELP}`;
  let values;
  try {
    values = parseArgs({ options: parseOptions, strict: true, allowPositionals: false }).values;
  } catch (error) {
    process.stderr.write(`${error.message}\n\n${helpText}`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(helpText);
    process.exit(0);
  }
  const quick = values.quick;
  const opts = { quick, runs: values.runs !== undefined ? count('runs', values.runs) : quick ? 1 : 3 };
  for (const [key, o] of Object.entries(spec.options)) {
    const given = values[key];
    opts[key] = given !== undefined ? given : quick && o.quick !== undefined ? o.quick : o.default;
  }

  // Loaded only now so that --help works before `npm ci`.
  const { Redis } = await import('ioredis');
  const env = stackEnv();
  const tag = randomTag();
  const redis = new Redis(env.redisUrl, { connectionName: `dvc-bench-${spec.name}`, maxRetriesPerRequest: 3 });
  const cleanups = [];
  let kafka;
  let admin;
  const created = { topics: new Set(), groups: new Set() };

  const ctx = {
    opts,
    env,
    tag,
    /** Prefix of every name this run creates (topics, groups, namespaces, files). */
    prefix: `bench-${tag}-${spec.name}`,
    redis,
    logDir: join(RESULTS_DIR, 'logs'),
    /** Scratch folder for store files and keys, deleted at the end. */
    workDir: join(RUN_DIR, 'bench', `bench-${tag}-${spec.name}`),
    /** Registers a clean-up step; steps run last-registered first. */
    onCleanup(fn) {
      cleanups.push(fn);
    },
    async kafka() {
      if (kafka === undefined) {
        const { Kafka, logLevel } = (await import('kafkajs')).default;
        const lastLogged = new Map();
        kafka = new Kafka({
          clientId: 'dvc-bench',
          brokers: env.kafkaBrokers.split(',').map((b) => b.trim()),
          logLevel: logLevel.ERROR,
          logCreator:
            () =>
            ({ log: entry }) => {
              const text = `${entry.message}${entry.error ? `: ${entry.error}` : ''}`;
              if (Date.now() - (lastLogged.get(text) ?? 0) < 30_000) return;
              lastLogged.set(text, Date.now());
              log(`kafkajs: ${text}`);
            },
          connectionTimeout: 5000,
          requestTimeout: 30_000,
        });
        admin = kafka.admin();
        await admin.connect();
      }
      return { kafka, admin };
    },
    /** Topics and consumer groups to delete at the end (the services create the topics). */
    ownTopic: (t) => created.topics.add(t),
    ownGroup: (g) => created.groups.add(g),
  };
  mkdirSync(ctx.logDir, { recursive: true });
  mkdirSync(ctx.workDir, { recursive: true });
  // A bad option value found by count() in main exits at once: the scratch folder goes too.
  process.once('exit', () => rmSync(ctx.workDir, { recursive: true, force: true }));

  let cleaning;
  const cleanup = () => {
    cleaning ??= (async () => {
      for (const fn of cleanups.reverse()) {
        try {
          await fn();
        } catch (error) {
          log(`cleanup: ${error.message}`);
        }
      }
      if (created.topics.size > 0 || created.groups.size > 0) {
        try {
          const { admin: a } = await ctx.kafka();
          const groups = new Set((await a.listGroups()).groups.map((g) => g.groupId));
          const ownGroups = [...created.groups].filter((g) => groups.has(g));
          if (ownGroups.length > 0) await a.deleteGroups(ownGroups).catch((e) => log(`kafka: deleteGroups: ${e.message}`));
          const topics = new Set(await a.listTopics());
          const own = [...created.topics].filter((t) => topics.has(t));
          if (own.length > 0) {
            await a.deleteTopics({ topics: own, timeout: 30_000 });
            log(`kafka: deleted topic(s) ${own.join(', ')}`);
          }
        } catch (error) {
          log(`kafka: cleanup failed: ${error.message}`);
        }
      }
      if (admin) await admin.disconnect().catch(() => undefined);
      rmSync(ctx.workDir, { recursive: true, force: true });
      redis.disconnect();
    })();
    return cleaning;
  };

  const interrupted = cleanUpOnInterrupt(cleanup);

  let code = 0;
  try {
    const startedAt = new Date();
    const machine = await machineDetails(env, redis);
    log(`${spec.name}: ${opts.runs} run(s)${quick ? ', quick sizes' : ''}; names start with ${ctx.prefix}`);
    const result = await spec.main(ctx);
    const wall = (Date.now() - startedAt.getTime()) / 1000;
    const markdown = `${result.markdown.trim()}\n\n_${opts.runs} run(s)${quick ? ', quick mode (small sizes: not for quoting)' : ''}; section took ${Math.round(wall)} s._\n`;
    const raw = { name: spec.name, startedAt, options: opts, machine: Object.fromEntries(machine), ...(result.raw ?? {}) };
    let file;
    if (values.section !== undefined) {
      file = values.section;
      appendSection(file, { title: spec.title, markdown, machine, startedAt });
      writeFileSync(`${file.replace(/\.md$/, '')}-${spec.name}.json`, `${JSON.stringify(raw, null, 2)}\n`);
    } else {
      file = values.output ?? defaultOutput(spec.name);
      mkdirSync(dirname(file), { recursive: true });
      const date = startedAt.toISOString().slice(0, 16).replace('T', ' ');
      writeFileSync(file, `# ${spec.title} — ${date} UTC\n\n## Machine\n\n${machineTable(machine)}\n\n## Results\n\n${markdown}`);
      writeFileSync(`${file.replace(/\.md$/, '')}.json`, `${JSON.stringify(raw, null, 2)}\n`);
    }
    process.stdout.write(`\n## ${spec.title}\n\n${markdown}`);
    log(`report written to ${file.startsWith(ROOT) ? relative(ROOT, file) : file}`);
  } catch (error) {
    process.stderr.write('\n');
    log(`FAILED: ${error.stack ?? error}`);
    code = 1;
  } finally {
    if (!interrupted()) await cleanup();
  }
  if (!interrupted()) process.exit(code);
}
