import { isLeft } from 'fp-ts/lib/Either.js';
import { connectorConfigCodecs } from '../../domain/connector/connectorConfig';
import { ERROR_ROW_ID, type ErrorRowSelection, type ReplayCounts } from '../../domain/errorRows/errorRowSelection';
import { sourceMessageOf } from '../errorRows/errorRowMessage';
import { ErrorRowsError, MAX_IDS_PER_QUERY, type ErrorRowId, type ErrorRowReader, type StoredErrorRow } from '../errorRows/errorRowReader';
import { APPLIED } from '../errorRows/errorRowSql';
import { errorRowReaderOf } from '../errorRows/subscriptionErrorRows';
import { TargetError, type Row, type RowTarget, type TableSpec } from '../targets/rowTarget';
import { targetOf } from '../targets/targetOf';
import { errorRowOf, type Rejection } from '../worker/errorRows';
import { messageReader, runsOf, type RejectedMessage, type Run } from '../worker/messageChanges';
import { writeIsolatingRejections } from '../worker/rejectionIsolation';
import { errorTableOf, readOptionsOf, targetTableOf } from '../worker/subscriptionTables';
import type { WorkerSpec } from '../worker/workerSpec';

/**
 * Replays error rows: re-runs the selected rows of a subscription's error table through its
 * *current* mapper, envelope options and target, with the worker's own functions (messageReader,
 * runsOf, writeIsolatingRejections), from the key, value, headers, offset and timestamp the row
 * kept. A row that lands is marked `replay_outcome = 'applied'`; one that fails again keeps the
 * new stage and reason, `attempts + 1`, outcome `failed`. No row is ever deleted, and a row
 * applied once is never re-run, so replaying twice applies nothing twice.
 *
 * It lives in the data plane rather than in commands/: it opens the target and writes rows as a
 * worker does, and the layers let runtime call commands (to record what it did, `record`), not
 * the reverse.
 */

/** Rows one call re-runs at most; the answer's `remaining` counts those left for the next call. */
export const MAX_REPLAY_ROWS = 10_000;

export interface ReplayDeps {
  readonly now: () => Date;
  /** Records what the replay did (the pipeline's event); runs once the rows are written. */
  readonly record: (counts: ReplayCounts) => Promise<void>;
}

export async function replayErrorRows(spec: WorkerSpec, selection: ErrorRowSelection, deps: ReplayDeps): Promise<ReplayCounts> {
  const reader = errorRowReaderOf(spec);
  const errorTable = errorTableOf(spec);
  const sourceConfig = connectorConfigCodecs.KAFKA_SOURCE.decode(spec.source.config);
  if (spec.errorTable === null || errorTable === undefined)
    throw new ErrorRowsError('not_queryable', 'NO_ERROR_TABLE', `subscription ${spec.subscriptionId} has no error table`);
  if (isLeft(sourceConfig)) throw new ErrorRowsError('refused', 'INVALID_SOURCE', 'the source connector is not a valid KAFKA_SOURCE');
  const source = sourceConfig.right;
  const errorConnector = spec.errorTable.target;
  const retention = spec.retention === null ? {} : { retention: spec.retention };
  const opened: RowTarget[] = [];
  try {
    const target = targetOf(spec.target, { clientId: `popsink-replay-${spec.subscriptionId}`, ...retention });
    opened.push(target);
    const errorTarget = targetOf(errorConnector, { clientId: `popsink-replay-${spec.subscriptionId}-errors`, ...retention });
    opened.push(errorTarget);
    const table = targetTableOf(spec, source);
    // As a worker starts: the table created or evolved for the current mapper, the error table evolved.
    await target.prepare(table);
    await errorTarget.prepare(errorTable);

    const { rows, skipped, remaining } = await selectedRows(reader, selection);
    const readBatch = messageReader(readOptionsOf(spec, source));
    let failed = 0;
    for (const partitionRows of byPartition(rows)) {
      const sources = partitionRows.map(sourceMessageOf);
      const { ops, rejected } = readBatch(
        spec.topic,
        partitionRows[0]?.partition ?? 0,
        sources.map(({ message }) => message),
      );
      for (const run of runsOf(ops)) rejected.push(...(await applyRun(target, table, run)));
      const rejections = new Map(rejected.map(({ source: { message }, rejection }) => [message.offset, rejection]));
      const at = deps.now().toISOString();
      const marked = partitionRows.map((row, index): Row => {
        const rejection = rejections.get(row.offset);
        if (rejection === undefined) return { ...row, replayed_at: at, replay_outcome: APPLIED };
        const source = sources[index] ?? sourceMessageOf(row);
        // The row keeps when it first failed; its reason is the new one.
        return {
          ...errorRowOf(source, rejection, { pipelineVersion: spec.version, at: row.failed_at, attempts: (row.attempts ?? 1) + 1 }),
          replayed_at: at,
          replay_outcome: 'failed',
        };
      });
      await errorTarget.write(errorTable, marked);
      failed += rejections.size;
    }
    const counts: ReplayCounts = {
      selected: skipped + rows.length + remaining,
      applied: rows.length - failed,
      failed,
      skipped_already_applied: skipped,
      remaining,
    };
    await deps.record(counts);
    return counts;
  } catch (error: unknown) {
    throw failureOf(error);
  } finally {
    await Promise.all(opened.map((target) => target.close().catch(() => undefined)));
  }
}

/** One run of same-kind changes, rejected rows isolated by halving, as the worker applies it (without its retries: a replay answers at once). */
async function applyRun(target: RowTarget, table: TableSpec, run: Run): Promise<RejectedMessage[]> {
  const rejected = await writeIsolatingRejections(run.ops, (ops) => {
    const rows = ops.map(({ row }) => row);
    return run.kind === 'upsert' ? target.write(table, rows) : target.delete(table, rows);
  });
  return rejected.map(({ item, error }) => ({ source: item.source, rejection: targetRejectionOf(error) }));
}

const targetRejectionOf = (error: TargetError): Rejection => ({
  stage: 'target',
  code: error.targetCode ?? error.code,
  column: null,
  message: error.message,
});

/**
 * The rows to re-run (not applied yet, by partition then offset, at most MAX_REPLAY_ROWS), with
 * how many the selection matched that were applied already and how many are left for later.
 */
async function selectedRows(
  reader: ErrorRowReader,
  selection: ErrorRowSelection,
): Promise<{ rows: StoredErrorRow[]; skipped: number; remaining: number }> {
  if ('ids' in selection) {
    const ids = [...new Set(selection.ids)].map(idOf);
    const found: StoredErrorRow[] = [];
    for (let start = 0; start < ids.length; start += MAX_IDS_PER_QUERY) {
      const chunk = ids.slice(start, start + MAX_IDS_PER_QUERY);
      found.push(...(await reader.page({ ids: chunk }, { skip: 0, limit: chunk.length })).items);
    }
    const rows = found
      .filter((row) => row.replay_outcome !== APPLIED)
      .sort(byPosition)
      .slice(0, MAX_REPLAY_ROWS);
    return { rows, skipped: found.length - rows.length, remaining: 0 };
  }
  const filter = 'filter' in selection ? selection.filter : {};
  const pending = await reader.page({ ...filter, applied: false }, { skip: 0, limit: MAX_REPLAY_ROWS });
  const applied = await reader.page({ ...filter, applied: true }, { skip: 0, limit: 0 });
  return { rows: [...pending.items], skipped: applied.total, remaining: pending.total - pending.items.length };
}

/** An id of the API (`<partition>-<offset>`, checked by the route) as the reader takes it. */
function idOf(id: string): ErrorRowId {
  const [, partition = '', offset = ''] = ERROR_ROW_ID.exec(id) ?? [];
  return { partition: Number(partition), offset };
}

const byPosition = (a: StoredErrorRow, b: StoredErrorRow): number =>
  a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset));

/** Consecutive rows of one partition (the rows come sorted): messageReader reads one partition at a time. */
function byPartition(rows: readonly StoredErrorRow[]): StoredErrorRow[][] {
  const groups: StoredErrorRow[][] = [];
  for (const row of rows) {
    const last = groups[groups.length - 1];
    if (last !== undefined && last[0]?.partition === row.partition) last.push(row);
    else groups.push([row]);
  }
  return groups;
}

/** A target's failure in the replay's terms: unreachable (retry later), or refused for good (fix the table or the mapper). */
function failureOf(error: unknown): unknown {
  if (!(error instanceof TargetError)) return error;
  if (error.kind === 'transient') return new ErrorRowsError('unreachable', 'TARGET_UNREACHABLE', error.message);
  return new ErrorRowsError('refused', 'TARGET_REFUSED', error.message);
}
