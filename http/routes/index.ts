import type Router from '@koa/router';
import type { ApiDeps } from '../apiDeps';
import type { Guard } from '../guard';
import { adminRouter } from './admin';
import { authRouter } from './auth';
import { connectorsRouter } from './connectors';
import { connectorTypesRouter } from './connectorTypes';
import { datamodelsRouter } from './datamodels';
import { docsRouter } from './docs';
import { dryRunRouter } from './dryRun';
import { envsRouter } from './envs';
import { errorRowsRouter } from './errorRows';
import { historyRouter } from './history';
import { installationRouter } from './installation';
import { pipelineObservabilityRouter } from './pipelineObservability';
import { pipelinesRouter } from './pipelines';
import { smtRouter } from './smt';
import { subscriptionsRouter } from './subscriptions';
import { teamsRouter } from './teams';
import { userLogsRouter } from './userLogs';
import { usersRouter } from './users';

/** Every resource router of the API, in the order of the contract's API reference. */
export const apiRouters = (deps: ApiDeps, guard: Guard): Router[] => [
  authRouter(deps),
  installationRouter(deps, guard), // before usersRouter: its GET /users/:id would take /users/export-all
  usersRouter(deps, guard),
  envsRouter(deps, guard),
  teamsRouter(deps, guard),
  pipelinesRouter(deps, guard),
  pipelineObservabilityRouter(deps, guard, deps.observability),
  errorRowsRouter(deps, guard),
  dryRunRouter(deps, guard),
  connectorsRouter(deps, guard),
  subscriptionsRouter(deps, guard),
  historyRouter(deps, guard),
  datamodelsRouter(deps, guard),
  userLogsRouter(deps, guard),
  smtRouter(),
  connectorTypesRouter(),
  docsRouter(),
  adminRouter(deps, guard),
];
