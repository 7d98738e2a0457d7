import type { ReadOptions } from './port.js';

/**
 * The filtered, paged read of the SQL adapters (SQLite and PostgreSQL share the `events` table's
 * columns): the statement and its parameters, or undefined when the options can match nothing
 * (an empty type list, a limit of 0). `placeholder(n)` is the dialect's n-th parameter (`?` or `$n`).
 */
export function eventsReadQuery(
  table: string,
  options: ReadOptions,
  placeholder: (n: number) => string,
): { sql: string; params: (string | number)[] } | undefined {
  const params: (string | number)[] = [];
  const param = (value: string | number) => {
    params.push(value);
    return placeholder(params.length);
  };
  const where = [`position > ${param(options.after ?? 0)}`];
  if (options.types !== undefined) {
    if (options.types.length === 0) return undefined;
    where.push(`type IN (${options.types.map((t) => param(t)).join(', ')})`);
  }
  if (options.unit !== undefined) where.push(`unit = ${param(options.unit)}`);
  if (options.from !== undefined) where.push(`time_ms >= ${param(options.from)}`);
  if (options.to !== undefined) where.push(`time_ms < ${param(options.to)}`);
  let sql = `SELECT position, body, producer_key FROM ${table} WHERE ${where.join(' AND ')} ORDER BY position`;
  if (options.limit !== undefined) {
    if (options.limit <= 0) return undefined;
    sql += ` LIMIT ${param(Math.floor(options.limit))}`;
  }
  return { sql, params };
}
