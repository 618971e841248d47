/** Stream names of the aggregates: `<kind>-<id>`, the convention EventStoreDB's category projections understand. */
export const userStream = (userId: string): string => `user-${userId}`;
export const envStream = (envId: string): string => `env-${envId}`;
export const teamStream = (teamId: string): string => `team-${teamId}`;
export const connectorStream = (connectorId: string): string => `connector-${connectorId}`;
export const pipelineStream = (pipelineId: string): string => `pipeline-${pipelineId}`;
