import { preview, type MapperColumn } from '../../domain/mapper/mapperSpec';
import { incompatibilityMessage, incompatibleColumns, missingColumns, oracleLiveColumn, type LiveColumn } from '../sql/columnCompatibility';
import { TargetError, type Row, type TableSpec } from './rowTarget';

/**
 * The SQL of the Oracle target, kept pure so that it is tested without a database. Every name
 * is a quoted identifier (exact case; keywords such as `offset` are fine) and every value a bind.
 *
 * Column types, chosen to work on Oracle 12.2 and later whatever the database character set:
 * - string: NCLOB, because a mapped text has no length limit (the error table's payload is a
 *   whole message) and a national type holds any Unicode text. A key column is NVARCHAR2(1000):
 *   a LOB cannot be a key, and 1000 characters (2000 bytes) leave room for three such keys in
 *   the 6398-byte index key of an 8 KB block.
 * - int: NUMBER(19), which holds any 64-bit integer (the mapper's are within ±2^53).
 * - float: BINARY_DOUBLE, the very IEEE double the mapper produced, without decimal rounding.
 * - bool: NUMBER(1) checked to 0 or 1, as BOOLEAN needs 23ai.
 * - date: DATE (its time part stays midnight).
 * - datetime: TIMESTAMP(6) WITH TIME ZONE at UTC, microseconds like the mapper. A key column is a
 *   TIMESTAMP(6) holding UTC, since Oracle refuses a zoned timestamp in a key (ORA-02329).
 * - time: VARCHAR2(15), `HH:MM:SS[.ffffff]`: Oracle has no time-of-day type.
 * - json: CLOB checked IS JSON, as the JSON type needs 21c; a key column is VARCHAR2(2000). The
 *   text is written in ASCII (other characters escaped) so any database character set keeps it.
 */

/** Oracle's limit since 12.2, counted in bytes of the database character set (UTF-8 here). */
const MAX_IDENTIFIER_BYTES = 128;

/**
 * The name as a quoted identifier. Oracle has no escape inside one, so a name it cannot hold is
 * refused rather than altered: a target must never write to a table other than the one named.
 */
export function quoteIdentifier(name: string): string {
  if (name === '' || name.includes('"') || name.includes('\0') || Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES) {
    throw new TargetError(
      'permanent',
      'INVALID_IDENTIFIER',
      `${JSON.stringify(name)} cannot be an Oracle name: it needs 1 to ${MAX_IDENTIFIER_BYTES} bytes, without '"' or NUL`,
    );
  }
  return `"${name}"`;
}

function columnType(column: MapperColumn): string {
  const key = column.primary_key;
  switch (column.type) {
    case 'string':
      return key ? 'NVARCHAR2(1000)' : 'NCLOB';
    case 'int':
      return 'NUMBER(19)';
    case 'float':
      return 'BINARY_DOUBLE';
    case 'bool':
      return 'NUMBER(1)';
    case 'date':
      return 'DATE';
    case 'datetime':
      return key ? 'TIMESTAMP(6)' : 'TIMESTAMP(6) WITH TIME ZONE';
    case 'time':
      return 'VARCHAR2(15)';
    case 'json':
      return key ? 'VARCHAR2(2000)' : 'CLOB';
  }
}

function columnDefinition(column: MapperColumn): string {
  const name = quoteIdentifier(column.name);
  const notNull = column.primary_key || !column.nullable ? ' NOT NULL' : '';
  const check = column.type === 'bool' ? ` CHECK (${name} IN (0, 1))` : column.type === 'json' ? ` CHECK (${name} IS JSON)` : '';
  return `${name} ${columnType(column)}${notNull}${check}`;
}

/** The table with its columns and its primary key (named by Oracle: a name of ours could exceed 128 bytes). */
export function createTableSql(table: TableSpec): string {
  const keys = table.columns.filter((column) => column.primary_key).map((column) => quoteIdentifier(column.name));
  const parts = [...table.columns.map(columnDefinition), ...(keys.length > 0 ? [`PRIMARY KEY (${keys.join(', ')})`] : [])];
  return `CREATE TABLE ${quoteIdentifier(table.name)} (${parts.join(', ')})`;
}

/** Whether the user's own schema has the table; its one bind is the exact (case-sensitive) name. */
export const TABLE_EXISTS_SQL = 'SELECT COUNT(*) FROM USER_TABLES WHERE TABLE_NAME = :1';

/**
 * The columns of the user's own table, in order: name, type and scale (a whole NUMBER, as
 * NUMBER(19) and INTEGER are, has scale 0). Its one bind is the exact table name.
 */
export const LIVE_COLUMNS_SQL = 'SELECT COLUMN_NAME, DATA_TYPE, DATA_SCALE FROM USER_TAB_COLUMNS WHERE TABLE_NAME = :1 ORDER BY COLUMN_ID';

/** LIVE_COLUMNS_SQL's rows (arrays, node-oracledb's default) as live columns. */
export function liveColumnsFrom(rows: readonly (readonly unknown[])[]): LiveColumn[] {
  return rows.map(([name, type, scale]) =>
    oracleLiveColumn(
      String(name),
      String(type),
      typeof scale === 'number' ? scale : scale === null || scale === undefined ? null : Number(scale),
    ),
  );
}

/**
 * Adds columns to an existing table: nullable whatever the mapper says (the rows there have no
 * value for them) and never a key, with the same checks as at creation (bool 0 / 1, IS JSON).
 */
export function addColumnsSql(table: TableSpec, columns: readonly MapperColumn[]): string {
  const definitions = columns.map((column) => columnDefinition({ ...column, nullable: true, primary_key: false }));
  return `ALTER TABLE ${quoteIdentifier(table.name)} ADD (${definitions.join(', ')})`;
}

/**
 * The DDL that `prepare` runs for a table whose live columns are `live` (undefined: no such
 * table): its CREATE TABLE, or, with schema evolution, one ALTER TABLE … ADD of the missing
 * columns; nothing for a table that matches. Throws a permanent `table_mismatch` for a column
 * whose live type cannot take the mapper's values (columnCompatibility.ts), for missing columns
 * without evolution, and for a missing key column. Columns are never dropped or altered.
 */
export function schemaChangesSql(table: TableSpec, live: readonly LiveColumn[] | undefined): string[] {
  const name = quoteIdentifier(table.name);
  if (live === undefined) return [createTableSql(table)];
  const incompatible = incompatibleColumns('oracle', live, table.columns);
  if (incompatible.length > 0)
    throw new TargetError('permanent', 'table_mismatch', `Table ${name}: ${incompatible.map(incompatibilityMessage).join('; ')}`);
  const missing = missingColumns(live, table.columns);
  if (missing.length === 0) return [];
  const names = missing.map((column) => quoteIdentifier(column.name)).join(', ');
  if (table.evolution !== 'add_columns')
    throw new TargetError('permanent', 'table_mismatch', `Table ${name} exists without the column(s) ${names} (schema evolution is off)`);
  const keys = missing.filter((column) => column.primary_key);
  if (keys.length > 0) {
    throw new TargetError(
      'permanent',
      'table_mismatch',
      `Table ${name} exists without the primary key column(s) ${keys.map((column) => quoteIdentifier(column.name)).join(', ')}, which cannot be added to an existing table`,
    );
  }
  return [addColumnsSql(table, missing)];
}

/** The bind `:n` of a column, converted where the bound text is not the column's type. */
export function placeholder(column: MapperColumn, n: number): string {
  switch (column.type) {
    case 'date':
      return `TO_DATE(:${n}, 'YYYY-MM-DD')`;
    case 'datetime': {
      const utc = `TO_TIMESTAMP(:${n}, 'YYYY-MM-DD HH24:MI:SS.FF6')`;
      return column.primary_key ? utc : `FROM_TZ(${utc}, '+00:00')`;
    }
    default:
      return `:${n}`;
  }
}

/**
 * The statement run once per row with executeMany: an upsert (MERGE) by the primary key, a plain
 * INSERT without one. Binds are positional, in column order.
 */
export function writeSql(table: TableSpec): string {
  const target = quoteIdentifier(table.name);
  const columns = table.columns.map((column, index) => ({
    column,
    name: quoteIdentifier(column.name),
    value: placeholder(column, index + 1),
  }));
  const names = columns.map(({ name }) => name).join(', ');
  if (!columns.some(({ column }) => column.primary_key)) {
    return `INSERT INTO ${target} (${names}) VALUES (${columns.map(({ value }) => value).join(', ')})`;
  }
  const source = columns.map(({ name, value }) => `${value} AS ${name}`).join(', ');
  const match = columns.filter(({ column }) => column.primary_key).map(({ name }) => `t.${name} = s.${name}`);
  const update = columns.filter(({ column }) => !column.primary_key).map(({ name }) => `t.${name} = s.${name}`);
  const insert = `INSERT (${names}) VALUES (${columns.map(({ name }) => `s.${name}`).join(', ')})`;
  return [
    `MERGE INTO ${target} t USING (SELECT ${source} FROM dual) s ON (${match.join(' AND ')})`,
    // A table of keys only has nothing to update: a row already there is the row.
    ...(update.length > 0 ? [`WHEN MATCHED THEN UPDATE SET ${update.join(', ')}`] : []),
    `WHEN NOT MATCHED THEN ${insert}`,
  ].join(' ');
}

/** Deletes one row by its primary key (run once per key with executeMany; binds in key-column order). */
export function deleteSql(table: TableSpec): string {
  const keys = table.columns.map((column, index) => ({ column, index })).filter(({ column }) => column.primary_key);
  if (keys.length === 0)
    throw new TargetError('permanent', 'table_mismatch', `Table ${quoteIdentifier(table.name)} has no primary key to delete by`);
  return `DELETE FROM ${quoteIdentifier(table.name)} WHERE ${keys.map(({ column }, n) => `${quoteIdentifier(column.name)} = ${placeholder(column, n + 1)}`).join(' AND ')}`;
}

/** The keys of `keys` as executeMany binds them for deleteSql. */
export function deleteBatch(table: TableSpec, keys: readonly Row[]): OracleBatch {
  const keyColumns = table.columns.filter((column) => column.primary_key);
  const binds = keys.map((key) =>
    keyColumns.map((column) => bindValue(column, Object.hasOwn(key, column.name) ? key[column.name] : undefined)),
  );
  return {
    sql: deleteSql(table),
    binds,
    bindDefs: keyColumns.map((column, index) =>
      bindDefOf(
        column,
        binds.map((values) => values[index] ?? null),
      ),
    ),
  };
}

export type OracleBind = string | number | null;

/** How executeMany binds a column: node-oracledb's `DB_TYPE_<type>`, and the longest text in bytes. */
export interface OracleBindDef {
  readonly type: 'NUMBER' | 'BINARY_DOUBLE' | 'VARCHAR' | 'NVARCHAR' | 'CLOB' | 'NCLOB';
  readonly maxSize?: number;
}

export interface OracleBatch {
  readonly sql: string;
  readonly binds: readonly OracleBind[][];
  readonly bindDefs: readonly OracleBindDef[];
}

/** A batch of rows as executeMany takes it: one row per primary key, values converted for their binds. */
export function writeBatch(table: TableSpec, rows: readonly Row[]): OracleBatch {
  const sql = writeSql(table);
  const binds = lastPerKey(
    table.columns,
    // Own properties only: a nullable column named `constructor` must not read Object's.
    rows.map((row) => table.columns.map((column) => bindValue(column, Object.hasOwn(row, column.name) ? row[column.name] : undefined))),
  );
  return {
    sql,
    binds,
    bindDefs: table.columns.map((column, index) =>
      bindDefOf(
        column,
        binds.map((values) => values[index] ?? null),
      ),
    ),
  };
}

/**
 * The dry run's batch: every row bound on its own, none merged by key, so that each batch error
 * of executeMany points at one row. A row that a column cannot bind is left out, with why;
 * `indexes[i]` is the index in `rows` of the batch's i-th bind row.
 */
export function trialBatch(
  table: TableSpec,
  rows: readonly Row[],
): { batch: OracleBatch; indexes: number[]; unbound: { index: number; error: TargetError }[] } {
  const binds: OracleBind[][] = [];
  const indexes: number[] = [];
  const unbound: { index: number; error: TargetError }[] = [];
  rows.forEach((row, index) => {
    try {
      binds.push(table.columns.map((column) => bindValue(column, Object.hasOwn(row, column.name) ? row[column.name] : undefined)));
      indexes.push(index);
    } catch (error: unknown) {
      if (!(error instanceof TargetError)) throw error;
      unbound.push({ index, error });
    }
  });
  const bindDefs = table.columns.map((column, index) =>
    bindDefOf(
      column,
      binds.map((values) => values[index] ?? null),
    ),
  );
  return { batch: { sql: writeSql(table), binds, bindDefs }, indexes, unbound };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z$/;
const TIME = /^\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?$/;

/** A row value (as the mapper writes it, see rowTarget.ts) in the form its placeholder binds. */
export function bindValue(column: MapperColumn, value: unknown): OracleBind {
  if (value === null || value === undefined) return null;
  switch (column.type) {
    case 'string':
      if (typeof value === 'string') return value;
      break;
    case 'int':
    case 'float':
      if (typeof value === 'number') return value;
      break;
    case 'bool':
      if (typeof value === 'boolean') return value ? 1 : 0;
      break;
    case 'date':
      if (typeof value === 'string' && DATE.test(value)) return value;
      break;
    case 'datetime': {
      const parts = typeof value === 'string' ? DATETIME.exec(value) : null;
      if (parts !== null) return `${parts[1]} ${parts[2]}.${(parts[3] ?? '').padEnd(6, '0')}`;
      break;
    }
    case 'time':
      if (typeof value === 'string' && TIME.test(value)) return value;
      break;
    case 'json':
      return asciiJson(value);
  }
  throw new TargetError('permanent', 'INVALID_VALUE', `Column "${column.name}" (${column.type}) cannot take ${preview(value)}`);
}

/** JSON text in ASCII: every other character as a `\u` escape, which any character set keeps exact. */
const asciiJson = (value: unknown): string =>
  JSON.stringify(value).replace(/[\u007f-\uffff]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * One row per key, the batch's last: a later message supersedes an earlier one, and a key twice
 * in one batch would make the outcome depend on the order Oracle applies them in.
 */
function lastPerKey(columns: readonly MapperColumn[], rows: OracleBind[][]): OracleBind[][] {
  const keyIndexes = columns.flatMap((column, index) => (column.primary_key ? [index] : []));
  if (keyIndexes.length === 0) return rows;
  const last = new Map<string, OracleBind[]>();
  for (const row of rows) last.set(JSON.stringify(keyIndexes.map((index) => row[index])), row);
  return [...last.values()];
}

/**
 * The longest text (UTF-16 units) bound as a plain (N)VARCHAR: within the 4000 bytes SQL allows
 * both in transit (UTF-8, 3 bytes a unit at most) and in the national character set (2 a unit).
 * A longer one needs a LOB bind, a temporary LOB per value: correct for any length, but slow.
 */
export const PLAIN_TEXT_MAX = 1000;

function bindDefOf(column: MapperColumn, values: readonly OracleBind[]): OracleBindDef {
  const longest = values.reduce<number>((most, value) => (typeof value === 'string' ? Math.max(most, Buffer.byteLength(value)) : most), 1);
  // A key is never a LOB (the column is not one either); a longer key is refused by its column.
  const plain = column.primary_key || values.every((value) => typeof value !== 'string' || value.length <= PLAIN_TEXT_MAX);
  switch (column.type) {
    case 'int':
    case 'bool':
      return { type: 'NUMBER' };
    case 'float':
      return { type: 'BINARY_DOUBLE' };
    case 'date':
    case 'datetime':
    case 'time':
      return { type: 'VARCHAR', maxSize: longest };
    case 'string':
      return plain ? { type: 'NVARCHAR', maxSize: longest } : { type: 'NCLOB' };
    case 'json':
      return plain ? { type: 'VARCHAR', maxSize: longest } : { type: 'CLOB' };
  }
}
