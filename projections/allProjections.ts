import { auditView } from './audit/auditView';
import { connectorsView } from './connector/connectorsView';
import { pipelinesView } from './pipeline/pipelinesView';
import { subscriptionsView } from './pipeline/subscriptionsView';
import { credentialsView } from './identity/credentialsView';
import { envsView } from './env/envsView';
import type { Projection } from './projection';
import { teamsView } from './team/teamsView';
import { tokensView } from './identity/tokensView';
import { usersView } from './identity/usersView';

/** Every read model the API serves, in one list for the runner and for rebuilds. */
export const allProjections: readonly Projection[] = [
  usersView,
  credentialsView,
  tokensView,
  envsView,
  teamsView,
  connectorsView,
  pipelinesView,
  subscriptionsView,
  auditView,
];
