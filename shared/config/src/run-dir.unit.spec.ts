import { resolve, sep } from 'node:path';
import { DEFAULT_RUN_DIR, stackRunDir } from './run-dir.js';

describe('stackRunDir', () => {
  it("is the repository's .run folder without STACK_RUN_DIR (or with an empty one)", () => {
    expect(DEFAULT_RUN_DIR.endsWith(`${sep}.run`)).toBe(true);
    expect(stackRunDir({})).toBe(DEFAULT_RUN_DIR);
    expect(stackRunDir({ STACK_RUN_DIR: '  ' })).toBe(DEFAULT_RUN_DIR);
  });

  it('follows STACK_RUN_DIR, made absolute against the working directory', () => {
    expect(stackRunDir({ STACK_RUN_DIR: '/srv/dvc/b' })).toBe('/srv/dvc/b');
    expect(stackRunDir({ STACK_RUN_DIR: 'tmp/stack-b' })).toBe(resolve('tmp/stack-b'));
  });
});
