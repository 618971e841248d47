import type { OracleTargetConfig } from '../../domain/connector/connectorConfig';
import type { MapperColumn } from '../../domain/mapper/mapperSpec';
import { withOracleSession } from '../sql/oracleCheck';
import { bindValue, LIVE_COLUMNS_SQL, liveColumnsFrom, placeholder, quoteIdentifier, TABLE_EXISTS_SQL } from '../targets/oracleSql';
import { ERROR_TABLE_COLUMNS } from '../targets/rowTarget';
import {
  ERROR_ROW_COLUMN_NAMES,
  ErrorRowsError,
  outdatedTableError,
  readFailureOf,
  storedErrorRowOf,
  type ErrorRowPage,
  type ErrorRowQuery,
  type ErrorRowReader,
} from './errorRowReader';
import { APPLIED, conditionsOf, pageStatements, type Bind, type Condition, type SqlStatement } from './errorRowSql';

/**
 * The error rows of an Oracle error table, as the Oracle target creates it (oracleSql.ts): its
 * non-key texts are NCLOBs, which `=` cannot compare (their first characters are compared, codes
 * being short), and its offsets NVARCHAR2 keys, compared as numbers.
 */

const FAILED_AT = ERROR_TABLE_COLUMNS.find((column) => column.name === 'failed_at') as MapperColumn;
/** Longest code, stage or outcome compared: they are short words. */
const COMPARED_CHARS = 1000;
const lobText = (column: string): string => `DBMS_LOB.SUBSTR(${quoteIdentifier(column)}, ${COMPARED_CHARS}, 1)`;

/** One condition in Oracle's words; a time is bound as the target binds a datetime. */
function render(condition: Condition, bind: Bind): string {
  switch (condition.kind) {
    case 'topic':
      return `"topic" = :${bind(condition.value)}`;
    case 'text':
      return `${lobText(condition.column)} = :${bind(condition.value)}`;
    case 'partition':
      return `"partition" = :${bind(condition.value)}`;
    case 'offset':
      return `TO_NUMBER("offset") ${condition.op} TO_NUMBER(:${bind(condition.value)})`;
    case 'failed_at':
      return `"failed_at" ${condition.op} ${placeholder(FAILED_AT, bind(bindValue(FAILED_AT, condition.value)))}`;
    case 'replayed':
      return `"replayed_at" IS ${condition.value ? 'NOT ' : ''}NULL`;
    case 'applied':
      return condition.value
        ? `${lobText('replay_outcome')} = :${bind(APPLIED)}`
        : `("replay_outcome" IS NULL OR ${lobText('replay_outcome')} <> :${bind(APPLIED)})`;
    case 'ids':
      if (condition.ids.length === 0) return '1 = 0';
      return `(${condition.ids.map((id) => `("partition" = :${bind(id.partition)} AND "offset" = :${bind(id.offset)})`).join(' OR ')})`;
  }
}

/** The count and page statements of a read of the user's table `table` (binds positional, in order). */
export function oracleErrorRowsSql(
  table: string,
  topic: string,
  query: ErrorRowQuery,
  paging: { readonly skip: number; readonly limit: number },
): { count: SqlStatement; page: SqlStatement } {
  return pageStatements({
    select: ERROR_ROW_COLUMN_NAMES.map(quoteIdentifier).join(', '),
    from: quoteIdentifier(table),
    conditions: conditionsOf(topic, query),
    render,
    pageEnd: (bind) =>
      ` ORDER BY "partition", TO_NUMBER("offset") OFFSET :${bind(paging.skip)} ROWS FETCH NEXT :${bind(paging.limit)} ROWS ONLY`,
  });
}

/** Texts and JSON (LOBs but for keys) fetched as strings: one round trip per page, not one per value. */
const TEXT_COLUMNS = ERROR_TABLE_COLUMNS.filter((column) => column.type === 'string' || column.type === 'json').map(
  (column) => column.name,
);

/** Reads the error rows of `topic` in the user's error table `table` on an Oracle connector, each read on a session of its own. */
export function oracleErrorRows(config: OracleTargetConfig, table: string, topic: string): ErrorRowReader {
  return {
    async page(query, paging) {
      const { count, page } = oracleErrorRowsSql(table, topic, query, paging);
      const read = await withOracleSession(config, {}, async (session, driver): Promise<ErrorRowPage | ErrorRowsError> => {
        const found = await session.execute(TABLE_EXISTS_SQL, [table]);
        if (!(Number(found.rows?.[0]?.[0]) > 0)) return { items: [], total: 0 };
        const outdated = outdatedTableError(table, liveColumnsFrom((await session.execute(LIVE_COLUMNS_SQL, [table])).rows ?? []));
        if (outdated !== undefined) return outdated;
        const total = Number((await session.execute(count.text, count.values)).rows?.[0]?.[0] ?? 0);
        if (paging.limit === 0 || total === 0) return { items: [], total };
        const fetchInfo = Object.fromEntries(TEXT_COLUMNS.map((name) => [name, { type: driver.DB_TYPE_VARCHAR }]));
        const rows = (await session.execute(page.text, page.values, { fetchInfo })).rows ?? [];
        return {
          items: rows.map((row) => storedErrorRowOf(Object.fromEntries(ERROR_ROW_COLUMN_NAMES.map((name, index) => [name, row[index]])))),
          total,
        };
      }).catch((error: unknown) => {
        throw readFailureOf(error);
      });
      if (read instanceof ErrorRowsError) throw read;
      return read;
    },
  };
}
