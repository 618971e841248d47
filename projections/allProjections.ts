import { auditView } from './auditView';
import { connectorsView } from './connectorsView';
import { pipelinesView } from './pipelinesView';
import { subscriptionsView } from './subscriptionsView';
import { credentialsView } from './credentialsView';
import { envsView } from './envsView';
import type { Projection } from './projection';
import { teamsView } from './teamsView';
import { tokensView } from './tokensView';
import { usersView } from './usersView';

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
