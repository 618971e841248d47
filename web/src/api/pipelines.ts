import { call, queryOf, type Page } from './http';
import type {
  CountStatus,
  DryRunResult,
  ErrorRow,
  HistoryEntry,
  MapperEntry,
  Pipeline,
  PipelineMetrics,
  PipelineState,
  ReplayCounts,
  Subscription,
} from './types';

export const listPipelines = (filter: {
  teamId?: string | undefined;
  state?: PipelineState | undefined;
  search?: string | undefined;
}): Promise<Page<Pipeline>> =>
  call('GET', `/pipelines/${queryOf({ team_id: filter.teamId, state: filter.state, search: filter.search, limit: 100 })}`);

export const countStatus = (teamId: string | undefined): Promise<CountStatus> =>
  call('GET', `/pipelines/count-status${queryOf({ team_id: teamId })}`);

export const getPipeline = (id: string): Promise<Pipeline> => call('GET', `/pipelines/${id}`);

/** The contract's flattened create: each side an existing connector id, or a new connector's name, type and config. */
export interface NewPipeline {
  readonly name: string;
  readonly team_id: string;
  readonly existing_source_id?: string;
  readonly source_name?: string;
  readonly source_type?: string;
  readonly source_config?: Readonly<Record<string, unknown>>;
  readonly existing_target_id?: string;
  readonly target_name?: string;
  readonly target_type?: string;
  readonly target_config?: Readonly<Record<string, unknown>>;
  readonly subscription_target_table_name: string;
  readonly subscription_backfill: boolean;
  readonly subscription_mapper_config: readonly MapperEntry[];
  readonly subscription_error_table_enabled: boolean;
  readonly subscription_error_table_name?: string;
}

export const createPipeline = (pipeline: NewPipeline): Promise<Pipeline> => call('POST', '/pipelines/', { json: pipeline });

export const startPipeline = (id: string): Promise<string> => call('POST', `/pipelines/${id}/start`);

export const pausePipeline = (id: string): Promise<string> => call('POST', `/pipelines/${id}/pause`);

export const dryRun = (id: string, limit: number): Promise<DryRunResult> => call('POST', `/pipelines/${id}/dry-run`, { json: { limit } });

export const pipelineMetrics = (id: string): Promise<PipelineMetrics> => call('GET', `/pipelines/${id}/latency-informations`);

export const pipelineHistory = (id: string): Promise<Page<HistoryEntry>> =>
  call('GET', `/pipelines/${id}/history${queryOf({ limit: 50 })}`);

export const listSubscriptions = (pipelineId: string): Promise<Page<Subscription>> =>
  call('GET', `/subscriptions/${queryOf({ pipeline_id: pipelineId })}`);

export const startSubscription = (id: string): Promise<string> => call('POST', `/subscriptions/${id}/start`);

export const pauseSubscription = (id: string): Promise<string> => call('POST', `/subscriptions/${id}/pause`);

export const listErrorRows = (pipelineId: string, replayed: boolean | undefined): Promise<Page<ErrorRow>> =>
  call('GET', `/pipelines/${pipelineId}/error-rows${queryOf({ replayed, limit: 100 })}`);

export const replayErrorRows = (
  pipelineId: string,
  selection: { readonly ids: readonly string[] } | { readonly all: true },
): Promise<ReplayCounts> => call('POST', `/pipelines/${pipelineId}/error-rows/replay`, { json: selection });

/**
 * The WebSocket of a pipeline's log stream. A browser cannot set headers on a WebSocket, so the
 * token goes as the contract's subprotocol pair (`Authorization`, then `Bearer <token>` with its
 * space encoded, since a subprotocol may not hold one).
 */
export function openLogSocket(id: string, token: string): WebSocket {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return new WebSocket(`${scheme}://${window.location.host}/api/pipelines/${id}/logs`, ['Authorization', `Bearer%20${token}`]);
}
