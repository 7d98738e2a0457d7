// The "Machine" table of every benchmark report: CPU, memory, OS, Node, Kafka, Redis, clients.
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { ROOT, infoField } from './common.mjs';

function kafkaVersion() {
  try {
    const jar = readdirSync(join(ROOT, '.run', 'kafka', 'libs')).find((f) => /^kafka_[\d.]+-[\w.-]+\.jar$/.test(f));
    return jar ? jar.replace(/^kafka_([\d.]+)-(.+)\.jar$/, '$2 (Scala $1)') : 'unknown';
  } catch {
    return 'unknown (.run/kafka/libs not found)';
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
    ['Node', process.version],
    ['Kafka', `${kafkaVersion()}, single node KRaft at ${env.kafkaBrokers}`],
    ['Redis', `${infoField(redisInfo, 'redis_version') ?? '?'} at ${env.redisUrl.replace(/\/\/[^@]*@/, '//***@')}`],
    ['Clients', `kafkajs ${packageVersion('kafkajs')}, ioredis ${packageVersion('ioredis')}`],
    ['Load average (1/5/15 min) at the start', os.loadavg().map((x) => x.toFixed(1)).join(' / ')],
  ];
}

export function machineTable(rows) {
  return ['| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
}
