/** Names of the read-model collections, shared by the projections that write them and the queries that read them. */
export const USERS = 'users';
export const CREDENTIALS = 'credentials';
export const REVOKED_TOKENS = 'revoked_tokens';
export const SERVICE_TOKENS = 'service_tokens';
export const ENVS = 'envs';
export const TEAMS = 'teams';
export const TEAM_MEMBERS = 'team_members';
export const USER_LOGS = 'user_logs';
export const CONNECTORS = 'connectors';
export const PIPELINES = 'pipelines';
export const SUBSCRIPTIONS = 'subscriptions';
/** Written by the projection runner itself: events no read model could be written from (operations/parkedEvents.ts). */
export const PARKED_EVENTS = 'parked_events';
/** Written by the data-plane runtime, not by projections: each runtime's latest worker metrics and recent log lines. */
export const RUNTIME_METRICS = 'runtime_metrics';
export const RUNTIME_LOGS = 'runtime_logs';
