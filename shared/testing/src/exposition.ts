// The one reader of the Prometheus text exposition for tests (and the benchmarks): samples by
// series, sample lines, series keys split into name and labels, every label value.

const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const unescape = (value: string): string => value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));

/** The sample lines of an exposition text: no blank line, no `#` comment. */
export function sampleLines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

/** An exposition text as `name{labels}` → value (the series exactly as written). */
export function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of sampleLines(text)) {
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

/** GET <url>/metrics, parsed by parseExposition. */
export async function scrapeMetrics(url: string): Promise<Map<string, number>> {
  return parseExposition(await (await fetch(`${url}/metrics`)).text());
}

/** A series as parseExposition keys it, split into its name and its labels (unescaped). */
export function parseSeries(series: string): { name: string; labels: Record<string, string> } {
  const brace = series.indexOf('{');
  if (brace < 0) return { name: series, labels: {} };
  const labels: Record<string, string> = {};
  for (const m of series.slice(brace + 1, -1).matchAll(LABEL)) labels[m[1] as string] = unescape(m[2] as string);
  return { name: series.slice(0, brace), labels };
}

/** Every label value of an exposition text, unescaped (\\, \" and \n), in order. */
export function labelValues(text: string): string[] {
  const values: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const open = line.indexOf('{');
    if (open < 0) continue;
    const pair = new RegExp(LABEL.source, 'y');
    pair.lastIndex = open + 1;
    for (let m = pair.exec(line); m !== null; m = pair.exec(line)) {
      values.push(unescape(m[2] ?? ''));
      if (line[pair.lastIndex] === ',') pair.lastIndex += 1;
    }
  }
  return values;
}
