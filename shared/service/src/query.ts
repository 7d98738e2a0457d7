/**
 * What every HTTP route refuses in a query string, each named once: a parameter the route does not
 * take (a typo read as the default would answer another question) and one given more than once
 * (only one would be read). Names are echoed at most 80 characters.
 */
export function queryProblems(params: URLSearchParams, accepted: readonly string[]): string[] {
  const problems: string[] = [];
  for (const name of new Set(params.keys())) {
    if (!accepted.includes(name)) {
      const takes = accepted.length === 0 ? 'this route takes none' : `accepted: ${accepted.join(', ')}`;
      problems.push(`unknown query parameter '${name.slice(0, 80)}'; ${takes}`);
      continue;
    }
    const count = params.getAll(name).length;
    if (count > 1) problems.push(`${name} is given ${count} times; give it once`);
  }
  return problems;
}

/**
 * A query value read as a whole number from `min` to `max`, or undefined: digits only (no sign,
 * no decimals, no exponent, no spaces), so `10abc`, `1e3` or ` 5` are refused rather than read as
 * something the client did not write.
 */
export function wholeNumber(text: string, min: number, max: number): number | undefined {
  if (!/^\d{1,15}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= min && n <= max ? n : undefined;
}
