import type { ReadStore } from './readStore';
import { userLogDocuments } from './audit/auditView';
import { connectorDocuments } from './connector/connectorsView';
import { envDocuments } from './env/envsView';
import { credentialDocuments } from './identity/credentialsView';
import { revokedTokenDocuments, serviceTokenDocuments } from './identity/tokensView';
import { userDocuments } from './identity/usersView';
import { pipelineDocuments } from './pipeline/pipelinesView';
import { subscriptionDocuments } from './pipeline/subscriptionsView';
import { teamDocuments, teamMemberDocuments } from './team/teamsView';

/** Every view's typed documents over one read store: what the API and the runtime query. */
export function readModelsOf(store: ReadStore) {
  return {
    users: userDocuments(store),
    credentials: credentialDocuments(store),
    revokedTokens: revokedTokenDocuments(store),
    serviceTokens: serviceTokenDocuments(store),
    envs: envDocuments(store),
    teams: teamDocuments(store),
    teamMembers: teamMemberDocuments(store),
    connectors: connectorDocuments(store),
    pipelines: pipelineDocuments(store),
    subscriptions: subscriptionDocuments(store),
    userLogs: userLogDocuments(store),
  };
}
export type ReadModels = ReturnType<typeof readModelsOf>;
