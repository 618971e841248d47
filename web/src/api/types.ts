/** The API's answers, as the console reads them (see /api/openapi.json). */

export type PipelineState = 'draft' | 'building' | 'live' | 'paused' | 'error';
export const PIPELINE_STATES: readonly PipelineState[] = ['draft', 'building', 'live', 'paused', 'error'];

export interface User {
  readonly id: string;
  readonly email: string;
  readonly is_active: boolean;
  readonly is_superuser: boolean;
  readonly is_verified: boolean;
  readonly active_env_id: string | null;
}

export interface Env {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
}

export interface Team {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly env_id: string;
}

export interface TeamMember {
  readonly id: string;
  readonly email: string;
  readonly role: 'owner' | 'member';
}

export type SourceType = 'KAFKA_SOURCE';
export type TargetType = 'KAFKA_TARGET' | 'ORACLE_TARGET' | 'POSTGRES_TARGET';
export type ConnectorType = SourceType | TargetType | 'JOB_SMT';

/** A connector config as answered: secrets come back as `"********"`. */
export type ConnectorConfig = Readonly<Record<string, unknown>>;

export interface Connector {
  readonly id: string;
  readonly name: string;
  readonly connector_type: ConnectorType;
  readonly team_id: string;
  readonly config: ConnectorConfig;
  readonly created_at: string;
  readonly updated_at: string;
}

export type Cast = 'string' | 'int' | 'float' | 'bool' | 'date' | 'datetime' | 'time';
export const CASTS: readonly Cast[] = ['string', 'int', 'float', 'bool', 'date', 'datetime', 'time'];

export interface MapperEntry {
  readonly key: string;
  readonly path?: string | undefined;
  readonly static?: string | undefined;
  readonly cast: Cast;
  readonly cast_format?: string | undefined;
  readonly primary_key: boolean;
  readonly nullable: boolean;
}

export interface Pipeline {
  readonly id: string;
  readonly name: string;
  readonly state: PipelineState;
  readonly version: number;
  readonly error_reason: string | null;
  readonly team_id: string;
  readonly team_name: string;
  readonly existing_source_id: string | null;
  readonly source_name: string | null;
  readonly source_type: SourceType | null;
  readonly source_config: ConnectorConfig | null;
  readonly existing_target_id: string | null;
  readonly target_name: string | null;
  readonly target_type: TargetType | null;
  readonly target_config: ConnectorConfig | null;
  readonly datamodel_id: string;
  readonly subscription_target_table_name: string | null;
  readonly subscription_backfill: boolean | null;
  readonly subscription_mapper_config: readonly MapperEntry[] | null;
  readonly created_at: string;
  readonly updated_at: string;
}

export type CountStatus = Readonly<Record<'all' | PipelineState, number>>;

export interface Subscription {
  readonly id: string;
  readonly pipeline_id: string;
  readonly target_table_name: string | null;
  readonly backfill: boolean | null;
  readonly mapper_config: readonly MapperEntry[] | null;
  readonly consumer_id: string;
  readonly error_table_enabled: boolean | null;
  readonly error_table_name: string | null;
  readonly state: PipelineState;
  readonly updated_at: string;
}

export interface PipelineMetrics {
  readonly pipeline_id: string;
  readonly window_s: number;
  readonly p50_ms: number | null;
  readonly p95_ms: number | null;
  readonly p99_ms: number | null;
  readonly max_ms: number | null;
  readonly messages_in: number;
  readonly messages_out: number;
  readonly errors: number;
  readonly lag_total: number;
  readonly last_message_at: string | null;
}

export interface LogLine {
  readonly ts: string;
  readonly level: string;
  readonly message: string;
  readonly pipeline_id?: string;
}

export interface ErrorRow {
  readonly id: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: string | null;
  readonly value_text: string | null;
  readonly stage: 'parse' | 'map' | 'cast' | 'target';
  readonly reason_code: string;
  readonly message: string;
  readonly error_column: string | null;
  readonly first_seen: string;
  readonly attempts: number;
  readonly replayed_at: string | null;
  readonly replay_outcome: string | null;
}

export interface FieldChange {
  readonly field: string;
  readonly old: unknown;
  readonly new: unknown;
}

export interface HistoryEntry {
  readonly revision: number;
  readonly event_type: string;
  readonly time: string;
  readonly actor_id: string;
  readonly actor_email: string | null;
  readonly version: number | null;
  readonly changes: readonly FieldChange[];
  readonly details: unknown;
}

export interface DryRunMessage {
  readonly partition: number;
  readonly offset: number;
  readonly value_text: string | null;
  readonly outcome: 'ok' | 'mapper_error' | 'rejected' | 'untried' | 'skipped';
  readonly row?: Readonly<Record<string, unknown>>;
  readonly error?: { readonly stage: string; readonly column?: string; readonly message: string };
  readonly note?: string;
}

export interface DryRunResult {
  readonly messages: readonly DryRunMessage[];
  readonly ddl: readonly string[];
  readonly target_reachable: boolean;
  readonly target_error: { readonly code: string; readonly message: string } | null;
  readonly notes: readonly string[];
}

export interface SampleMessage {
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: string;
  readonly key: string | null;
  readonly value: string | null;
}

export interface Datamodel {
  readonly id: string;
  readonly pipeline_id: string;
  readonly team_id: string;
  readonly source_topic: string | null;
  readonly target_topic: string | null;
  readonly error_table_enabled: boolean;
  readonly error_table_name: string | null;
}

export interface SchemaColumn {
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean;
  readonly primary_key: boolean;
}

export interface DatamodelMonitoring {
  readonly messages_in: number;
  readonly messages_out: number;
  readonly errors: number;
  readonly lag_total: number;
  readonly last_message_at: string | null;
}

export interface AuditEntry {
  readonly id: string;
  readonly user_id: string;
  readonly event_type: string;
  readonly resource_type: string;
  readonly resource_id: string;
  readonly time: string;
  readonly details: unknown;
}

export interface ReplayCounts {
  readonly selected: number;
  readonly applied: number;
  readonly failed: number;
  readonly skipped_already_applied: number;
  readonly remaining: number;
}
