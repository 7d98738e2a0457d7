/**
 * Checks `probe` every 10 ms until it gives a value other than undefined, and returns it; after
 * 10 s it fails, naming what it waited for. (The suites wait on conditions, never on sleeps.)
 */
export async function eventually<T>(probe: () => T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after 10 s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
