import type Router from '@koa/router';
import type { ApiDeps } from './apiDeps';
import type { Guard } from './guard';
import { adminRouter } from './operations/adminRouter';
import { authRouter } from './identity/authRouter';
import { connectorsRouter } from './connector/connectorsRouter';
import { connectorTypesRouter } from './connector/connectorTypesRouter';
import { datamodelsRouter } from './pipeline/datamodelsRouter';
import { dryRunRouter } from './dryRun/dryRunRouter';
import { envsRouter } from './env/envsRouter';
import { errorRowsRouter } from './errorRows/errorRowsRouter';
import { historyRouter } from './audit/historyRouter';
import { installationRouter } from './installation/installationRouter';
import { pipelineObservabilityRouter } from './observability/pipelineObservabilityRouter';
import { pipelinesRouter } from './pipeline/pipelinesRouter';
import { smtRouter } from './mapper/smtRouter';
import { subscriptionsRouter } from './pipeline/subscriptionsRouter';
import { teamsRouter } from './team/teamsRouter';
import { userLogsRouter } from './audit/userLogsRouter';
import { usersRouter } from './identity/usersRouter';

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
  adminRouter(deps, guard),
];
