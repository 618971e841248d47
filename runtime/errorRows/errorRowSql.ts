import type { ErrorRowId, ErrorRowQuery } from './errorRowReader';

/**
 * What a read of error rows asks, as conditions that each database's reader renders in its own
 * SQL: the readers differ in words, never in what they select. Values are always bound.
 */
export type Condition =
  | { readonly kind: 'topic'; readonly value: string }
  | { readonly kind: 'text'; readonly column: 'error_code' | 'stage'; readonly value: string }
  | { readonly kind: 'partition'; readonly value: number }
  | { readonly kind: 'offset'; readonly op: '>=' | '<='; readonly value: string }
  | { readonly kind: 'failed_at'; readonly op: '>=' | '<'; readonly value: string }
  | { readonly kind: 'replayed'; readonly value: boolean }
  | { readonly kind: 'applied'; readonly value: boolean }
  | { readonly kind: 'ids'; readonly ids: readonly ErrorRowId[] };

/** The `replay_outcome` of a row a replay applied (the other one is `failed`). */
export const APPLIED = 'applied';

/** The rows of `topic` (an error table may hold another subscription's rows too) that `query` selects. */
export function conditionsOf(topic: string, query: ErrorRowQuery): Condition[] {
  const conditions: Condition[] = [{ kind: 'topic', value: topic }];
  if (query.reason_code !== undefined) conditions.push({ kind: 'text', column: 'error_code', value: query.reason_code });
  if (query.stage !== undefined) conditions.push({ kind: 'text', column: 'stage', value: query.stage });
  if (query.partition !== undefined) conditions.push({ kind: 'partition', value: query.partition });
  if (query.offset_from !== undefined) conditions.push({ kind: 'offset', op: '>=', value: query.offset_from });
  if (query.offset_to !== undefined) conditions.push({ kind: 'offset', op: '<=', value: query.offset_to });
  if (query.since !== undefined) conditions.push({ kind: 'failed_at', op: '>=', value: query.since });
  if (query.until !== undefined) conditions.push({ kind: 'failed_at', op: '<', value: query.until });
  if (query.replayed !== undefined) conditions.push({ kind: 'replayed', value: query.replayed });
  if (query.applied !== undefined) conditions.push({ kind: 'applied', value: query.applied });
  if (query.ids !== undefined) conditions.push({ kind: 'ids', ids: query.ids });
  return conditions;
}

export interface SqlStatement {
  readonly text: string;
  readonly values: readonly unknown[];
}

/** Adds a bind value and answers its position (from 1), which the dialect writes `$n` or `:n`. */
export type Bind = (value: unknown) => number;

/**
 * The two statements of a page: the count of every matching row, and the page itself. `render`
 * writes one condition; `pageEnd` the ordering and paging clause.
 */
export function pageStatements(options: {
  readonly select: string;
  readonly from: string;
  readonly conditions: readonly Condition[];
  readonly render: (condition: Condition, bind: Bind) => string;
  readonly pageEnd: (bind: Bind) => string;
}): { readonly count: SqlStatement; readonly page: SqlStatement } {
  const statement = (head: string, end: (bind: Bind) => string): SqlStatement => {
    const values: unknown[] = [];
    const bind: Bind = (value) => values.push(value);
    const where = options.conditions.map((condition) => options.render(condition, bind)).join(' AND ');
    return { text: `${head} FROM ${options.from} WHERE ${where}${end(bind)}`, values };
  };
  return { count: statement('SELECT COUNT(*)', () => ''), page: statement(`SELECT ${options.select}`, options.pageEnd) };
}
