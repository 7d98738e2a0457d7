/**
 * Typed configuration from environment variables. Every variable is declared once with its
 * parser and default; loading reports every mistake at once, each naming the variable.
 */
import { DvcError } from '@dvc/domain';

export type Parser<T> = (raw: string) => { ok: true; value: T } | { ok: false; reason: string };

export interface VarSpec<T> {
  parse: Parser<T>;
  default?: T;
  /** What `--help` shows as the default when it is computed at start-up rather than fixed. */
  defaultText?: string;
  doc: string;
}

/** Thrown when the environment holds invalid configuration; the message lists every problem. */
export class ConfigError extends DvcError {
  readonly code = 'DVC_CONFIG_INVALID';

  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export const str = (doc: string, fallback?: string): VarSpec<string> => ({
  doc,
  parse: (raw) => (raw.trim() === '' ? { ok: false, reason: 'must not be empty' } : { ok: true, value: raw.trim() }),
  ...(fallback === undefined ? {} : { default: fallback }),
});

export const int = (doc: string, fallback: number, min: number, max: number): VarSpec<number> => ({
  doc,
  default: fallback,
  parse: (raw) => {
    if (!/^-?\d+$/.test(raw.trim())) return { ok: false, reason: `must be an integer, got '${raw}'` };
    const value = Number(raw);
    if (value < min || value > max) return { ok: false, reason: `must be between ${min} and ${max}, got ${value}` };
    return { ok: true, value };
  },
});

export const port = (doc: string, fallback: number): VarSpec<number> => int(doc, fallback, 0, 65535);

export const bool = (doc: string, fallback: boolean): VarSpec<boolean> => ({
  doc,
  default: fallback,
  parse: (raw) => {
    const v = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return { ok: true, value: true };
    if (['0', 'false', 'no', 'off'].includes(v)) return { ok: true, value: false };
    return { ok: false, reason: `must be true or false, got '${raw}'` };
  },
});

export const oneOf = <T extends string>(doc: string, fallback: T, choices: readonly T[]): VarSpec<T> => ({
  doc,
  default: fallback,
  parse: (raw) =>
    (choices as readonly string[]).includes(raw.trim())
      ? { ok: true, value: raw.trim() as T }
      : { ok: false, reason: `must be one of ${choices.join(', ')}, got '${raw}'` },
});

export const list = (doc: string, fallback: string[]): VarSpec<string[]> => ({
  doc,
  default: fallback,
  parse: (raw) => {
    const items = raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    return items.length === 0 ? { ok: false, reason: 'must list at least one value' } : { ok: true, value: items };
  },
});

export const url = (doc: string, fallback: string, protocols: readonly string[]): VarSpec<string> => ({
  doc,
  default: fallback,
  parse: (raw) => {
    try {
      const parsed = new URL(raw.trim());
      if (!protocols.includes(parsed.protocol)) return { ok: false, reason: `must use ${protocols.join(' or ')}, got '${parsed.protocol}'` };
      return { ok: true, value: raw.trim() };
    } catch {
      return { ok: false, reason: `must be a URL, got '${raw}'` };
    }
  },
});

/**
 * An optional local date (YYYY-MM-DD); unset means the caller computes it (described by
 * `defaultText` in --help).
 */
export const optionalDate = (doc: string, defaultText: string): VarSpec<string | undefined> => ({
  doc,
  default: undefined,
  defaultText,
  parse: (raw) => {
    const value = raw.trim();
    const ms = Date.parse(`${value}T00:00:00Z`);
    // The round trip refuses dates V8 would roll over (2022-02-30).
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
      return { ok: false, reason: `must be a date YYYY-MM-DD, got '${raw}'` };
    }
    return { ok: true, value };
  },
});

export type Spec = Record<string, VarSpec<unknown>>;
export type ConfigOf<S extends Spec> = { [K in keyof S]: S[K] extends VarSpec<infer T> ? T : never };

export function loadConfig<S extends Spec>(spec: S, env: Record<string, string | undefined>): ConfigOf<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(spec)) {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      if ('default' in v) out[name] = v.default;
      else problems.push(`${name} is required (${v.doc})`);
      continue;
    }
    const parsed = v.parse(raw);
    if (parsed.ok) out[name] = parsed.value;
    else problems.push(`${name} ${parsed.reason} (${v.doc})`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as ConfigOf<S>;
}

/** The `--help` text of a service: what it does and every variable with its default. */
export function describeConfig(title: string, spec: Spec): string {
  const lines = Object.entries(spec).map(([name, v]) => {
    const dflt =
      v.defaultText !== undefined
        ? ` [default: ${v.defaultText}]`
        : !('default' in v)
          ? ' [required]'
          : v.default === undefined
            ? ' [default: unset]'
            : ` [default: ${JSON.stringify(v.default)}]`;
    return `  ${name.padEnd(28)} ${v.doc}${dflt}`;
  });
  return `${title}\n\nConfiguration (environment variables):\n${lines.join('\n')}\n`;
}
