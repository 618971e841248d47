import type { PostgresTargetConfig } from '../../domain/connector/connectorConfig';
import { queryLiveColumns, withPostgresSession } from '../sql/postgresCheck';
import { quoteIdentifier } from '../targets/postgresTarget';
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

/** One condition in PostgreSQL's words. Offsets are compared as numbers (they are decimal text in the table). */
function render(condition: Condition, bind: Bind): string {
  switch (condition.kind) {
    case 'topic':
      return `"topic" = $${bind(condition.value)}`;
    case 'text':
      return `${quoteIdentifier(condition.column)} = $${bind(condition.value)}`;
    case 'partition':
      return `"partition" = $${bind(condition.value)}`;
    case 'offset':
      return `"offset"::numeric ${condition.op} $${bind(condition.value)}::numeric`;
    case 'failed_at':
      return `"failed_at" ${condition.op} $${bind(condition.value)}::timestamptz`;
    case 'replayed':
      return `"replayed_at" IS ${condition.value ? 'NOT ' : ''}NULL`;
    case 'applied':
      return `"replay_outcome" ${condition.value ? '=' : 'IS DISTINCT FROM'} $${bind(APPLIED)}`;
    case 'ids':
      if (condition.ids.length === 0) return 'FALSE';
      return `("partition", "offset") IN (${condition.ids.map((id) => `($${bind(id.partition)}, $${bind(id.offset)})`).join(', ')})`;
  }
}

/** The count and page statements of a read of `schema.table`. */
export function postgresErrorRowsSql(
  schema: string,
  table: string,
  topic: string,
  query: ErrorRowQuery,
  paging: { readonly skip: number; readonly limit: number },
): { count: SqlStatement; page: SqlStatement } {
  return pageStatements({
    select: ERROR_ROW_COLUMN_NAMES.map(quoteIdentifier).join(', '),
    from: `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`,
    conditions: conditionsOf(topic, query),
    render,
    pageEnd: (bind) => ` ORDER BY "partition", "offset"::numeric LIMIT $${bind(paging.limit)} OFFSET $${bind(paging.skip)}`,
  });
}

/** Reads the error rows of `topic` in the error table `table` of a PostgreSQL connector, each read on a connection of its own. */
export function postgresErrorRows(config: PostgresTargetConfig, table: string, topic: string): ErrorRowReader {
  return {
    async page(query, paging) {
      const { count, page } = postgresErrorRowsSql(config.schema, table, topic, query, paging);
      const read = await withPostgresSession(config, {}, async (client): Promise<ErrorRowPage | ErrorRowsError> => {
        const live = await queryLiveColumns(client, config.schema, table);
        if (live === undefined) return { items: [], total: 0 };
        const outdated = outdatedTableError(table, live);
        if (outdated !== undefined) return outdated;
        const total = Number((await client.query<{ count: string }>(count.text, [...count.values])).rows[0]?.count ?? 0);
        const rows = paging.limit === 0 || total === 0 ? [] : (await client.query(page.text, [...page.values])).rows;
        return { items: rows.map(storedErrorRowOf), total };
      }).catch((error: unknown) => {
        throw readFailureOf(error);
      });
      if (read instanceof ErrorRowsError) throw read;
      return read;
    },
  };
}
