import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DvcError } from '@dvc/domain';

/** Thrown for a command line that cannot be understood; the CLI prints it with exit code 2. */
export class UsageError extends DvcError {
  readonly code = 'DVC_USAGE';
}

type Options = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** The parsed flags: booleans for boolean options, strings for the others; absent when not given. */
export type FlagValues<O extends Options> = { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string } & { help?: boolean };

/**
 * Strict flag parsing: unknown flags, missing values and stray positionals become a UsageError
 * whose message names the offending argument.
 */
export function parseFlags<O extends Options>(argv: readonly string[], options: O, maxPositionals = 0): { values: FlagValues<O>; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } } as ParseArgsConfig['options'],
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    // Node appends advice about '--' to unknown options; the option's name is what matters here.
    throw new UsageError((error as Error).message.replace(/\. To specify a positional[\s\S]*$/, ''));
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument '${parsed.positionals[maxPositionals]}'`);
  }
  return { values: parsed.values as FlagValues<O>, positionals: parsed.positionals };
}

type FlagOptions<S extends string, B extends string> = { [K in S | B]: K extends B ? { type: 'boolean' } : { type: 'string' } };

/** The options of parseFlags in one line: the flags that take a value, then the switches. */
export function flagSpec<S extends string, B extends string = never>(strings: readonly S[], booleans: readonly B[] = []): NoInfer<FlagOptions<S, B>> {
  const options = [...strings.map((name) => [name, { type: 'string' }] as const), ...booleans.map((name) => [name, { type: 'boolean' }] as const)];
  return Object.fromEntries(options) as FlagOptions<S, B>;
}

/** A whole number flag within bounds; `undefined` when not given. */
export function intFlag(name: string, raw: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim())) throw new UsageError(`--${name} must be a whole number, got '${raw}'`);
  const n = Number(raw);
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** An ISO-8601 instant with a zone (Z or ±hh:mm) as epoch ms; a local time would be ambiguous. */
export function instantFlag(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(raw.trim())) {
    throw new UsageError(`--${name} must be an ISO-8601 date or instant with a zone (2022-06-01 or 2022-06-01T08:00:00+07:00), got '${raw}'`);
  }
  const ms = Date.parse(raw.length === 10 ? `${raw}T00:00:00Z` : raw);
  if (Number.isNaN(ms)) throw new UsageError(`--${name} is not a valid date: '${raw}'`);
  return ms;
}

/** A comma-separated list flag, empty items dropped. */
export function listFlag(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Kafka positions `partition:offset[,partition:offset...]`. */
export function offsetsFlag(name: string, raw: string): { partition: number; offset: string }[] {
  const items = listFlag(raw) ?? [];
  if (items.length === 0) throw new UsageError(`--${name} needs at least one partition:offset`);
  return items.map((item) => {
    const m = /^(\d+):(\d+)$/.exec(item);
    if (m?.[1] === undefined || m[2] === undefined) throw new UsageError(`--${name}: '${item}' is not partition:offset (e.g. 0:42)`);
    return { partition: Number(m[1]), offset: m[2] };
  });
}

/** A regular expression flag, compiled, with the syntax error named. */
export function regexFlag(name: string, raw: string | undefined): RegExp | undefined {
  if (raw === undefined) return undefined;
  try {
    return new RegExp(raw);
  } catch (error) {
    throw new UsageError(`--${name} is not a valid regular expression: ${(error as Error).message}`);
  }
}
