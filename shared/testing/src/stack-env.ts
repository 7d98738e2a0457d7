/**
 * The `NAME=value` lines of a stack.env file, as scripts/stack.sh writes it (comments and other
 * lines skipped; surrounding blanks trimmed, the value kept as written).
 */
export function parseStackEnv(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) values.set(m[1], m[2]);
  }
  return values;
}
