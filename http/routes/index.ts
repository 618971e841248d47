import type Router from '@koa/router';
import type { ApiDeps } from '../apiDeps';
import type { Guard } from '../guard';
import { authRouter } from './auth';
import { envsRouter } from './envs';
import { teamsRouter } from './teams';
import { userLogsRouter } from './userLogs';
import { usersRouter } from './users';

/** Every resource router of the API, in the order of the contract's API reference. */
export const apiRouters = (deps: ApiDeps, guard: Guard): Router[] => [
  authRouter(deps),
  usersRouter(deps, guard),
  envsRouter(deps, guard),
  teamsRouter(deps, guard),
  userLogsRouter(deps, guard),
];
