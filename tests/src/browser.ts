import { accessSync, constants, mkdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { REPO_ROOT } from './stack.js';

/**
 * Debian's Chromium driven by playwright-core: no browser is downloaded. The executable is
 * CHROMIUM_PATH, else the first `chromium` on PATH (scripts/setup.sh installs the package).
 */
export function chromiumExecutable(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'chromium');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  throw new Error('no chromium on PATH: run bash scripts/setup.sh (installs the Debian package chromium) or set CHROMIUM_PATH');
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumExecutable(),
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
}

/** Where a test run keeps its screenshots: $DVC_TEST_RESULTS_DIR/screenshots (scripts/test.sh), else .run/test-results/screenshots. */
export function screenshotDir(): string {
  const dir = join(process.env.DVC_TEST_RESULTS_DIR ?? join(REPO_ROOT, '.run', 'test-results'), 'screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}
