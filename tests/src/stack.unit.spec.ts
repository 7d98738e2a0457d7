import { foreignStackProblem } from './stack.js';

describe('foreignStackProblem: whether this checkout may restart parts of the stack in use with its scripts/stack.sh', () => {
  const checkout = '/srv/a';
  const ownStackEnv = '# Written by scripts/stack.sh\nKAFKA_BROKERS=127.0.0.1:19092\nREDIS_CLUSTER_URL=redis-cluster://127.0.0.1:7001,127.0.0.1:7002\n';
  const base = { checkout, cwd: '/home/x', ownStackEnv, addresses: ['REDIS_CLUSTER_URL'] };

  it('allows the checkout whose .run is the run folder (as npm test sets it, or relative to the working directory)', () => {
    expect(foreignStackProblem({ ...base, env: { STACK_RUN_DIR: '/srv/a/.run' } })).toBeUndefined();
    expect(foreignStackProblem({ ...base, env: { STACK_RUN_DIR: '../../srv/a/.run/' } })).toBeUndefined();
    expect(
      foreignStackProblem({ ...base, env: { STACK_RUN_DIR: '/srv/a/.run', REDIS_CLUSTER_URL: 'redis-cluster://127.0.0.1:7001,127.0.0.1:7002' } }),
    ).toBeUndefined();
  });

  it('compares the folders as canonical gives them (a checkout reached through a symbolic link)', () => {
    const canonical = (path: string) => path.replace(/^\/link-to-a\//, '/srv/a/');
    expect(foreignStackProblem({ ...base, checkout: '/link-to-a', canonical, env: { STACK_RUN_DIR: '/srv/a/.run' } })).toBeUndefined();
    expect(foreignStackProblem({ ...base, checkout: '/link-to-a', env: { STACK_RUN_DIR: '/srv/a/.run' } })).toContain("not this checkout's /link-to-a/.run");
  });

  it('refuses another run folder in STACK_RUN_DIR, naming both folders', () => {
    const problem = foreignStackProblem({ ...base, env: { STACK_RUN_DIR: '/srv/main/.run' } });
    expect(problem).toContain("the stack in use is the one of /srv/main/.run (STACK_RUN_DIR), not this checkout's /srv/a/.run");
    expect(problem).toContain('scripts/stack.sh of this checkout (/srv/a) owns only the stack of /srv/a/.run');
    expect(foreignStackProblem({ ...base, env: { STACK_RUN_DIR: 'run-b' } })).toContain('/home/x/run-b (STACK_RUN_DIR)');
  });

  it('without STACK_RUN_DIR, refuses when this checkout started no stack (the addresses come from another stack.env)', () => {
    const problem = foreignStackProblem({ ...base, ownStackEnv: undefined, env: { REDIS_CLUSTER_URL: 'redis-cluster://127.0.0.1:7001' } });
    expect(problem).toContain('STACK_RUN_DIR is not set and /srv/a/.run/stack.env does not exist');
    expect(problem).toContain('/srv/a/.run');
    expect(foreignStackProblem({ ...base, ownStackEnv: undefined, env: { STACK_RUN_DIR: '/srv/a/.run' } })).toContain(
      "STACK_RUN_DIR is this checkout's run folder, but /srv/a/.run/stack.env does not exist",
    );
  });

  it("refuses addresses other than the ones of this checkout's stack.env, and only the addresses asked about", () => {
    const env = { REDIS_CLUSTER_URL: 'redis-cluster://127.0.0.1:7101,127.0.0.1:7102', KAFKA_BROKERS: '127.0.0.1:29092' };
    expect(foreignStackProblem({ ...base, env })).toContain(
      "REDIS_CLUSTER_URL is redis-cluster://127.0.0.1:7101,127.0.0.1:7102, but this checkout's stack (/srv/a/.run/stack.env) has redis-cluster://127.0.0.1:7001,127.0.0.1:7002",
    );
    expect(foreignStackProblem({ ...base, env, addresses: [] })).toBeUndefined();
    expect(foreignStackProblem({ ...base, env, addresses: ['KAFKA_BROKERS'] })).toContain('KAFKA_BROKERS is 127.0.0.1:29092');
    expect(foreignStackProblem({ ...base, ownStackEnv: 'KAFKA_BROKERS=127.0.0.1:19092\n', env })).toContain('has none');
  });
});
