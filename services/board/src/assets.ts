import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface StaticAsset {
  contentType: string;
  body: Buffer;
}

/** The page's own files (public/ next to package.json, the same path from src/ and dist/). */
const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));
const require = createRequire(import.meta.url);

/** The OpenAPI 3.1 document of this service, kept next to package.json. */
export const OPENAPI_FILE = fileURLToPath(new URL('../openapi.json', import.meta.url));

/**
 * Every file the page needs, read once at start and served by the service itself: the page
 * works without any network but this service's (no CDN). The chart library comes from its npm
 * package (uPlot, MIT).
 */
export function loadAssets(): Map<string, StaticAsset> {
  const own = (name: string, contentType: string): StaticAsset => ({ contentType, body: readFileSync(`${PUBLIC_DIR}${name}`) });
  const html = own('index.html', 'text/html; charset=utf-8');
  return new Map([
    ['/', html],
    ['/index.html', html],
    ['/assets/app.js', own('app.js', 'text/javascript; charset=utf-8')],
    ['/assets/board.css', own('board.css', 'text/css; charset=utf-8')],
    // Linked from the page, so browsers do not ask for /favicon.ico (a 404 in every console).
    ['/assets/favicon.svg', own('favicon.svg', 'image/svg+xml')],
    ['/assets/uplot.js', { contentType: 'text/javascript; charset=utf-8', body: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js')) }],
    ['/assets/uplot.css', { contentType: 'text/css; charset=utf-8', body: readFileSync(require.resolve('uplot/dist/uPlot.min.css')) }],
  ]);
}
