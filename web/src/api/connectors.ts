import { call, queryOf, type Page } from './http';
import type { Connector, ConnectorConfig, HistoryEntry, SampleMessage, TargetType } from './types';

export const listSources = (teamId: string | undefined): Promise<readonly Connector[]> =>
  call('GET', `/connectors/source-config${queryOf({ team_id: teamId })}`);

export const listTargets = (teamId: string | undefined): Promise<readonly Connector[]> =>
  call('GET', `/connectors/target-config${queryOf({ team_id: teamId })}`);

export const connectorHistory = (id: string): Promise<Page<HistoryEntry>> => call('GET', `/connectors/${id}/history?limit=20`);

/** The connection checks: each answers within 10 s, a refusal's `detail` being the server's reason. */
export const checkKafkaSource = (config: ConnectorConfig): Promise<{ status: string }> =>
  call('POST', '/connector-types/kafka-source/check-credentials', { json: config });

export const listTopics = (config: ConnectorConfig): Promise<readonly string[]> =>
  call('POST', '/connector-types/kafka-source/list-topics', { json: config });

export const fetchMessages = (config: ConnectorConfig, limit: number): Promise<readonly SampleMessage[]> =>
  call('POST', '/connector-types/kafka-source/fetch-messages', { json: { ...config, limit } });

/** Target types whose credentials the API can check (a Kafka target is checked as a cluster, through BYOK). */
export function checkTarget(type: TargetType, config: ConnectorConfig): Promise<{ status: string }> {
  if (type === 'POSTGRES_TARGET') return call('POST', '/connector-types/postgres-target/check-credentials', { json: config });
  if (type === 'ORACLE_TARGET') return call('POST', '/connector-types/oracle-target/check-credentials', { json: config });
  return call('POST', '/envs/check-byok-credentials', { json: config });
}
