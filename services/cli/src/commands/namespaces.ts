import { listNamespaces } from '@dvc/read-model';
import { createRedisClient } from '@dvc/redis';
import { parseFlags } from '../args.js';
import { cliConfig, cliLiveView } from '../config.js';
import type { CliIo } from '../io.js';

export const NAMESPACES_HELP = `dvc namespaces: the projection namespaces of a base name, and which one is live

Usage:
  dvc namespaces [--namespace BASE] [--json]

The live namespace is the one <BASE>:active names, read as the exporter and the notifier read it;
the table ends with the "now" those readers use under the same CLOCK / CLOCK_AS_OF.

  --namespace BASE   projection base name (overrides REDIS_NAMESPACE)
  --json             one JSON array instead of a table
`;

export async function namespacesCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(argv, { namespace: { type: 'string' }, json: { type: 'boolean' } });
  if (values.help === true) {
    io.stdout.write(NAMESPACES_HELP);
    return 0;
  }
  const config = cliConfig(io.env, { REDIS_NAMESPACE: values.namespace });
  const redis = createRedisClient({ url: config.REDIS_URL, connectionName: 'dvc-cli' });
  try {
    const live = await cliLiveView(config, redis, io).resolve();
    const list = await listNamespaces(redis, config.REDIS_NAMESPACE, live.namespace);
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify(list)}\n`);
      return 0;
    }
    for (const ns of list) io.stdout.write(`${ns.active ? '*' : ' '} ${ns.namespace.padEnd(40)} ${ns.units} units${ns.active ? '  (live)' : ''}\n`);
    io.stdout.write(`now: ${new Date(live.nowMs).toISOString()} (clock ${live.clockMode})\n`);
    return 0;
  } finally {
    redis.disconnect();
  }
}
