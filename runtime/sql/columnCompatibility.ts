import type { MapperColumn } from '../../domain/mapper/mapperSpec';

/**
 * Which mapper types an existing table column can take, for PostgreSQL and Oracle: the one rule
 * that both the targets' `prepare` (a permanent `table_mismatch` at start) and the PATCH check
 * (a 422 before saving) apply, so that they never disagree.
 *
 * A live column is first put in a family by its database type, then the family says which mapper
 * types it takes. The rule is generous: a column is refused only when (nearly) every value of
 * the mapper's type would fail, or would silently lose part of itself (a datetime into a
 * PostgreSQL `date`). A value the column refuses now and then (a text too long for `varchar(5)`,
 * a string that is no number) is one row's rejection, which the worker isolates, not a refusal
 * of the whole mapper.
 *
 * | family        | PostgreSQL                                  | Oracle                              | takes                      |
 * |---------------|---------------------------------------------|-------------------------------------|----------------------------|
 * | text          | text, varchar, char, name, citext           | VARCHAR2, NVARCHAR2, CHAR, NCHAR, CLOB, NCLOB, LONG | every type  |
 * | integer       | smallint, integer, bigint                   | NUMBER(p, 0), INTEGER               | string, int (Oracle: bool) |
 * | decimal       | numeric, real, double precision, money      | NUMBER, FLOAT, BINARY_FLOAT/DOUBLE  | string, int, float (Oracle NUMBER: bool) |
 * | boolean       | boolean                                     | BOOLEAN (23ai)                      | string, bool               |
 * | date          | date                                        | DATE (holds a time of day)          | string, date (Oracle: datetime) |
 * | timestamp     | timestamp, timestamptz                      | TIMESTAMP[(n)] [WITH [LOCAL] TIME ZONE] | string, date, datetime |
 * | time          | time, timetz                                | (none: time is text there)          | string, time               |
 * | json          | json, jsonb                                 | JSON (21c)                          | string, json               |
 * | other         | uuid, inet, enums, arrays, bytea, …         | RAW, BLOB, INTERVAL, XMLTYPE, …     | string                     |
 *
 * A `string` value is taken by every column: it is bound as text, which the database parses with
 * the column's own input rules (`'42'` into a bigint, `'t'` into a boolean); a text it cannot
 * parse is that row's rejection. Oracle has no boolean before 23ai, so this platform writes a
 * bool as NUMBER(1) 0 / 1: its number columns take bool.
 */

export type Dialect = 'postgres' | 'oracle';

export type ColumnFamily = 'text' | 'integer' | 'decimal' | 'boolean' | 'date' | 'timestamp' | 'time' | 'json' | 'other';

/** A column of an existing table: its name, its type as the database names it (for messages), and its family. */
export interface LiveColumn {
  readonly name: string;
  readonly type: string;
  readonly family: ColumnFamily;
}

type MapperType = MapperColumn['type'];

const ALL: readonly MapperType[] = ['string', 'int', 'float', 'bool', 'date', 'datetime', 'time', 'json'];

/** The table above, per dialect: the mapper types each family takes. */
const TAKES: Readonly<Record<Dialect, Readonly<Record<ColumnFamily, readonly MapperType[]>>>> = {
  postgres: {
    text: ALL,
    integer: ['string', 'int'],
    decimal: ['string', 'int', 'float'],
    boolean: ['string', 'bool'],
    date: ['string', 'date'],
    timestamp: ['string', 'date', 'datetime'],
    time: ['string', 'time'],
    json: ['string', 'json'],
    other: ['string'],
  },
  oracle: {
    text: ALL,
    integer: ['string', 'int', 'bool'],
    decimal: ['string', 'int', 'float', 'bool'],
    boolean: ['string', 'bool'],
    date: ['string', 'date', 'datetime'],
    timestamp: ['string', 'date', 'datetime'],
    time: ['string', 'time'],
    json: ['string', 'json'],
    other: ['string'],
  },
};

/** Whether a live column of that family takes the mapper's values. */
export const takes = (dialect: Dialect, family: ColumnFamily, type: MapperType): boolean => TAKES[dialect][family].includes(type);

const POSTGRES_FAMILIES: Readonly<Record<string, ColumnFamily>> = {
  text: 'text',
  'character varying': 'text',
  character: 'text',
  name: 'text',
  citext: 'text',
  smallint: 'integer',
  integer: 'integer',
  bigint: 'integer',
  numeric: 'decimal',
  real: 'decimal',
  'double precision': 'decimal',
  money: 'decimal',
  boolean: 'boolean',
  date: 'date',
  'timestamp without time zone': 'timestamp',
  'timestamp with time zone': 'timestamp',
  'time without time zone': 'time',
  'time with time zone': 'time',
  json: 'json',
  jsonb: 'json',
};

/**
 * A PostgreSQL column from `information_schema.columns`: `data_type` names the built-in types,
 * `udt_name` the others (`USER-DEFINED` for citext or an enum, `ARRAY` for `_int4`...).
 */
export function postgresLiveColumn(name: string, dataType: string, udtName: string): LiveColumn {
  const type = dataType === 'USER-DEFINED' || dataType === 'ARRAY' ? udtName : dataType;
  const family = dataType === 'ARRAY' ? 'other' : (POSTGRES_FAMILIES[type] ?? 'other');
  return { name, type, family };
}

/**
 * An Oracle column from `USER_TAB_COLUMNS`: `DATA_TYPE` (`NUMBER`, `TIMESTAMP(6) WITH TIME ZONE`,
 * …) and `DATA_SCALE`, which tells a whole NUMBER (scale 0, as INTEGER and NUMBER(19) are) from a
 * decimal one (null scale: any number).
 */
export function oracleLiveColumn(name: string, dataType: string, scale: number | null): LiveColumn {
  const base = dataType.toUpperCase();
  const family = ((): ColumnFamily => {
    if (['VARCHAR2', 'NVARCHAR2', 'CHAR', 'NCHAR', 'CLOB', 'NCLOB', 'LONG', 'VARCHAR'].includes(base)) return 'text';
    if (base === 'NUMBER') return scale === 0 ? 'integer' : 'decimal';
    if (['FLOAT', 'BINARY_FLOAT', 'BINARY_DOUBLE'].includes(base)) return 'decimal';
    if (base === 'BOOLEAN') return 'boolean';
    if (base === 'DATE') return 'date';
    if (base.startsWith('TIMESTAMP')) return 'timestamp';
    if (base === 'JSON') return 'json';
    return 'other';
  })();
  const type = base === 'NUMBER' && scale === 0 ? 'NUMBER (whole)' : dataType;
  return { name, type, family };
}

/** A mapper column that the live table's column of the same name cannot take. */
export interface Incompatibility {
  /** Its position in the mapper (the `subscription_mapper_config` index). */
  readonly index: number;
  readonly column: string;
  readonly liveType: string;
  readonly wanted: MapperType;
}

/** Mapper columns whose live column (same exact name) cannot take their values; columns not in the table are not checked here. */
export function incompatibleColumns(dialect: Dialect, live: readonly LiveColumn[], wanted: readonly MapperColumn[]): Incompatibility[] {
  const byName = new Map(live.map((column) => [column.name, column]));
  return wanted.flatMap((column, index) => {
    const existing = byName.get(column.name);
    if (existing === undefined || takes(dialect, existing.family, column.type)) return [];
    return [{ index, column: column.name, liveType: existing.type, wanted: column.type }];
  });
}

/** Mapper columns that the live table lacks (exact names: both targets quote every name). */
export function missingColumns(live: readonly LiveColumn[], wanted: readonly MapperColumn[]): MapperColumn[] {
  const present = new Set(live.map((column) => column.name));
  return wanted.filter((column) => !present.has(column.name));
}

/** One incompatibility in words: the column, its live type and the type the mapper gives it. */
export const incompatibilityMessage = (found: Incompatibility): string =>
  `column "${found.column}" is ${found.liveType} in the existing table, which cannot take the mapper's ${found.wanted} values`;
