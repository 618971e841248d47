import Router from '@koa/router';
import * as t from 'io-ts';
import { RebuildRunningError, type LiveProjections, type ReadModelsStatus, type RebuildState } from '../../projections/liveRebuild';
import type { ApiDeps } from '../apiDeps';
import { callerOf } from '../auth';
import { HttpFailure } from '../errors';
import type { Guard } from '../guard';
import { ParkedEventDoc } from '../../projections/operations/parkedEvents';

declare module '../apiDeps' {
  interface ApiDeps {
    /** The read models' generations, for `/admin/rebuild`; absent (a test's deps), those routes answer 503. */
    readonly readModels?: Pick<LiveProjections, 'startRebuild' | 'status' | 'parked'>;
  }
}

const text = (position: bigint | undefined): string | null => (position === undefined ? null : position.toString());
const Position = t.union([t.string, t.null]);

/** A rebuild as the admin routes show it; positions as strings (they are 64-bit). */
export const RebuildRead = t.intersection(
  [
    t.type({
      id: t.string,
      generation: t.number,
      state: t.keyof({ running: null, done: null, failed: null }),
      position: Position,
      started_at: t.string,
      finished_at: t.union([t.string, t.null]),
    }),
    t.partial({ error: t.string }),
  ],
  'RebuildRead',
);
export const ReadModelsStatusRead = t.type(
  { generation: t.number, running: t.boolean, position: Position, head: Position, rebuild: t.union([RebuildRead, t.null]) },
  'ReadModelsStatusRead',
);

/** Events the read models set aside, oldest first. */
export const ParkedEventsRead = t.type({ items: t.array(ParkedEventDoc) }, 'ParkedEventsRead');

export const rebuildBody = (rebuild: RebuildState): t.TypeOf<typeof RebuildRead> => ({
  id: rebuild.id,
  generation: rebuild.generation,
  state: rebuild.state,
  position: text(rebuild.position),
  started_at: rebuild.startedAt,
  finished_at: rebuild.finishedAt ?? null,
  ...(rebuild.error !== undefined ? { error: rebuild.error } : {}),
});

export const statusBody = (status: ReadModelsStatus): t.TypeOf<typeof ReadModelsStatusRead> => ({
  generation: status.generation,
  running: status.running,
  position: text(status.position),
  head: text(status.head),
  rebuild: status.rebuild === undefined ? null : rebuildBody(status.rebuild),
});

/**
 * Operations on the platform itself, superuser only:
 * - `POST /admin/rebuild`: rebuilds the read models into fresh collections from position 0 while
 *   the API keeps answering from the current ones, then swaps; 202 with the rebuild, 409 while one runs;
 * - `GET /admin/rebuild`: the active generation, whether a rebuild runs, positions (as strings);
 * - `GET /admin/parked-events`: events no read model could be written from, set aside so that the
 *   others go on (projections/operations/parkedEvents.ts), with why; a rebuild tries them again.
 */
export function adminRouter(deps: ApiDeps, guard: Guard): Router {
  const router = new Router({ prefix: '/admin' });
  const readModels = (): NonNullable<ApiDeps['readModels']> => {
    if (deps.readModels === undefined) throw new HttpFailure(503, 'REBUILD_UNAVAILABLE');
    return deps.readModels;
  };

  router.post('/rebuild', async (ctx) => {
    guard.superuser(callerOf(ctx));
    try {
      const started = readModels().startRebuild();
      deps.logger.info('read-model rebuild started', {
        requestId: ctx.state['requestId'],
        rebuildId: started.id,
        generation: started.generation,
      });
      ctx.status = 202;
      ctx.body = rebuildBody(started);
    } catch (error: unknown) {
      if (error instanceof RebuildRunningError) throw new HttpFailure(409, 'REBUILD_RUNNING');
      throw error;
    }
  });

  router.get('/rebuild', async (ctx) => {
    guard.superuser(callerOf(ctx));
    ctx.body = statusBody(await readModels().status());
  });

  router.get('/parked-events', (ctx) => {
    guard.superuser(callerOf(ctx));
    const body: t.TypeOf<typeof ParkedEventsRead> = { items: [...readModels().parked()] };
    ctx.body = body;
  });

  return router;
}
