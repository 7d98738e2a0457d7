// The "Machine" table of every benchmark report: CPU, memory, OS, Node, Kafka, Redis, clients.
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { ROOT, infoField } from './common.mjs';

/** The version of the broker running here: the kafka_<scala>-<version>.jar on its java command line's class path. */
function kafkaVersion() {
  try {
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      let args;
      try {
        args = readFileSync(join('/proc', pid, 'cmdline'), 'utf8').split('\0');
      } catch {
        continue;
      }
      if (!args.includes('kafka.Kafka')) continue;
      const classPath = args[args.indexOf('-cp') + 1] ?? '';
      const dir = classPath.replace(/\/\*$/, '');
      const jar = readdirSync(dir).find((f) => /^kafka_[\d.]+-[\w.-]+\.jar$/.test(f));
      if (jar) return jar.replace(/^kafka_([\d.]+)-(.+)\.jar$/, '$2 (Scala $1)');
    }
    return 'unknown (no kafka.Kafka process found)';
  } catch {
    return 'unknown';
  }
}

function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

/**
 * This Node.js, and whether it is the release .nvmrc pins (the one npm start runs the services
 * on, and npm run bench uses). The benchmarks spawn the services with their own Node.js, so a
 * run started with another one measures another runtime: said in the report and on stderr.
 */
function nodeRuntime() {
  let pinned;
  try {
    pinned = readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim().replace(/^v/, '');
  } catch {
    return process.version;
  }
  if (process.version === `v${pinned}`) return `${process.version} (pinned by .nvmrc)`;
  const note = `not v${pinned}, the release .nvmrc pins and the stack runs the services on: these figures are another runtime's (npm run bench uses the pinned one)`;
  console.error(`bench: Node.js ${process.version} is ${note}`);
  return `${process.version}, **${note}**`;
}

/**
 * Rows [label, value] describing the machine and the stack the figures come from.
 * @param {{ kafkaBrokers: string, redisUrl: string }} env
 * @param {import('ioredis').Redis} redis
 */
export async function machineDetails(env, redis) {
  const redisInfo = await redis.info('server');
  const cpus = os.cpus();
  return [
    ['CPU', `${cpus[0]?.model ?? 'unknown'} × ${cpus.length}`],
    ['Memory', `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`],
    ['OS', `${os.type()} ${os.release()} ${os.arch()}`],
    ['Node', nodeRuntime()],
    ['Kafka', `${kafkaVersion()}, single node KRaft at ${env.kafkaBrokers}`],
    ['Redis', `${infoField(redisInfo, 'redis_version') ?? '?'} at ${env.redisUrl.replace(/\/\/[^@]*@/, '//***@')}`],
    ['Clients', `kafkajs ${packageVersion('kafkajs')}, ioredis ${packageVersion('ioredis')}`],
    [
      'Load average (1/5/15 min) at the start',
      os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' / '),
    ],
  ];
}

export function machineTable(rows) {
  return ['| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
}
