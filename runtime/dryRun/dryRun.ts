import { isLeft } from 'fp-ts/lib/Either.js';
import { CHECK_TIMEOUT_MS, connectorConfigCodecs, type KafkaSourceConfig } from '../../domain/connector/connectorConfig';
import { fetchRecords, type FetchedRecord } from '../kafka/kafkaTools';
import type { Row, TableSpec } from '../targets/rowTarget';
import { messageReader, type ReadOptions } from '../worker/messageChanges';
import type { WorkerConnector } from '../worker/workerSpec';
import { tryOnKafka } from './kafkaTrial';
import { tryOnOracle } from './oracleTrial';
import { tryOnPostgres } from './postgresTrial';
import type { TargetTrial, TrialFailure } from './targetTrial';

/**
 * A pipeline's dry run: the latest messages of its source, read and mapped exactly as its
 * worker reads them (messageReader: envelope, tombstones, metadata columns), then the rows tried
 * against the real target without keeping anything (see each target's trial). Bounded like the
 * connection checks: the source gets most of the budget, the target what is left.
 */

export interface DryRunInput {
  /** The source connector's config, its `topic` the pipeline's source topic. Secrets opened. */
  readonly source: KafkaSourceConfig;
  /** The target connector, secrets opened. */
  readonly target: WorkerConnector;
  /** The table (or topic) a start would write: mapper columns (plus metadata ones) and schema evolution. */
  readonly table: TableSpec;
  readonly read: ReadOptions;
  /** How many of the latest messages to try (1 to MAX_DRY_RUN_LIMIT). */
  readonly limit: number;
}

export const DEFAULT_DRY_RUN_LIMIT = 10;
export const MAX_DRY_RUN_LIMIT = 100;

/** Kept for the target out of the whole budget: a connection and one short transaction. */
const TARGET_SHARE_MS = 3500;
/** Kept back from the whole budget for answering. */
const MARGIN_MS = 200;

export type DryRunOutcome = 'ok' | 'mapper_error' | 'rejected' | 'untried' | 'skipped';

export interface DryRunMessage {
  readonly partition: number;
  readonly offset: number;
  /** Key and value as UTF-8 text (bytes that are not UTF-8 shown as U+FFFD), null when absent. */
  readonly key_text: string | null;
  readonly value_text: string | null;
  readonly outcome: DryRunOutcome;
  /** What the message asks of the target: write a row, or delete one by its key. */
  readonly action?: 'upsert' | 'delete';
  /** The mapped row (an upsert) or key (a delete). */
  readonly row?: Row;
  readonly error?: {
    readonly stage: 'parse' | 'map' | 'cast' | 'target';
    readonly code?: string;
    readonly column?: string;
    readonly message: string;
  };
  /** Why the message was not tried, or was skipped. */
  readonly note?: string;
}

export interface DryRunReport {
  readonly messages: DryRunMessage[];
  readonly ddl: readonly string[];
  readonly target_reachable: boolean;
  /** Why the target, or the rows, could not be tried; null when they were. */
  readonly target_error: TrialFailure | null;
  readonly notes: readonly string[];
}

export interface DryRunOptions {
  /** Whole-call budget; the connection checks' 10 s unless a caller needs less. */
  readonly timeoutMs?: number;
}

/**
 * Runs the dry run. Throws the source's ConnectorCheckError when its messages cannot be read
 * (unreachable, no such topic, too slow): without messages there is nothing to try.
 */
export async function dryRun(input: DryRunInput, options: DryRunOptions = {}): Promise<DryRunReport> {
  const budget = options.timeoutMs ?? CHECK_TIMEOUT_MS;
  const deadline = Date.now() + budget - MARGIN_MS;
  const records = await fetchRecords(input.source, input.limit, { timeoutMs: Math.max(1000, budget - TARGET_SHARE_MS - MARGIN_MS) });

  const read = messageReader(input.read);
  const entries: { base: Omit<DryRunMessage, 'outcome'>; outcome?: DryRunOutcome; upsert?: Row }[] = [];
  for (const record of records) {
    const base = describe(record);
    const { ops, rejected } = read(input.source.topic, record.partition, [record.message]);
    for (const { rejection } of rejected) {
      const error = {
        stage: rejection.stage,
        code: rejection.code,
        ...(rejection.column === null ? {} : { column: rejection.column }),
        message: rejection.message,
      };
      entries.push({ base: { ...base, error }, outcome: 'mapper_error' });
    }
    for (const op of ops) {
      if (op.kind === 'upsert') entries.push({ base: { ...base, action: 'upsert', row: op.row }, upsert: op.row });
      else
        entries.push({
          base: { ...base, action: 'delete', row: op.row, note: 'a delete is mapped to its key, not tried against the target' },
          outcome: 'untried',
        });
    }
    if (ops.length === 0 && rejected.length === 0)
      entries.push({
        base: { ...base, note: 'nothing to write (a tombstone after a delete, or a change the envelope skips)' },
        outcome: 'skipped',
      });
  }

  const rows = entries.flatMap((entry) => (entry.upsert === undefined ? [] : [entry.upsert]));
  const trial = await tryTarget(input.target, input.table, rows, Math.max(1000, deadline - Date.now()));
  let tried = 0;
  const messages = entries.map(({ base, outcome, upsert }): DryRunMessage => {
    if (upsert === undefined) return { ...base, outcome: outcome ?? 'skipped' };
    const index = tried++;
    if (trial.outcomes === undefined) return { ...base, outcome: 'untried', note: 'the target was not tried (see target_error and notes)' };
    const failure = trial.outcomes[index];
    return failure === undefined ? { ...base, outcome: 'ok' } : { ...base, outcome: 'rejected', error: { stage: 'target', ...failure } };
  });
  return { messages, ddl: trial.ddl, target_reachable: trial.reachable, target_error: trial.error ?? null, notes: trial.notes };
}

function describe(record: FetchedRecord): Omit<DryRunMessage, 'outcome'> {
  const { message } = record;
  return {
    partition: record.partition,
    offset: Number(message.offset),
    key_text: message.key === null ? null : message.key.toString('utf8'),
    value_text: message.value === null ? null : message.value.toString('utf8'),
  };
}

/** The target's trial, by its type; a connector whose config does not decode is reported, not thrown. */
async function tryTarget(target: WorkerConnector, table: TableSpec, rows: readonly Row[], timeoutMs: number): Promise<TargetTrial> {
  const invalid = (): TargetTrial => ({
    reachable: false,
    ddl: [],
    error: { code: 'invalid_config', message: `the ${target.type} connector's configuration is not valid` },
    notes: [],
  });
  switch (target.type) {
    case 'POSTGRES_TARGET': {
      const config = connectorConfigCodecs.POSTGRES_TARGET.decode(target.config);
      return isLeft(config) ? invalid() : tryOnPostgres(config.right, table, rows, timeoutMs);
    }
    case 'ORACLE_TARGET': {
      const config = connectorConfigCodecs.ORACLE_TARGET.decode(target.config);
      return isLeft(config) ? invalid() : tryOnOracle(config.right, table, rows, timeoutMs);
    }
    case 'KAFKA_TARGET': {
      const config = connectorConfigCodecs.KAFKA_TARGET.decode(target.config);
      return isLeft(config) ? invalid() : tryOnKafka(config.right, table, rows, timeoutMs);
    }
    default:
      return {
        reachable: false,
        ddl: [],
        error: { code: 'not_a_target', message: `a ${target.type} connector cannot be written to` },
        notes: [],
      };
  }
}
