import { CONNECTORS, ENVS, PIPELINES, SUBSCRIPTIONS, TEAM_MEMBERS, TEAMS, USERS } from '../collections';
import type { ReadModels } from '../readModels';
import type { Doc, ReadStore } from '../readStore';

const PAGE = 1000;

async function allDocs(readStore: ReadStore, collection: string): Promise<Doc[]> {
  const docs: Doc[] = [];
  for (;;) {
    const page = await readStore.find(collection, { sort: [{ field: 'id', direction: 'asc' }], skip: docs.length, limit: PAGE });
    docs.push(...page.items);
    if (page.items.length < PAGE) return docs;
  }
}

/**
 * Every read model an installation export carries beside its log, as stored (secrets sealed).
 * It is read before the log, so that the log is never older than the state beside it.
 */
export async function installationStateOf(readStore: ReadStore) {
  const pipelines = await allDocs(readStore, PIPELINES);
  return {
    users: await allDocs(readStore, USERS),
    envs: await allDocs(readStore, ENVS),
    teams: await allDocs(readStore, TEAMS),
    team_members: await allDocs(readStore, TEAM_MEMBERS),
    connectors: await allDocs(readStore, CONNECTORS),
    pipelines,
    subscriptions: await allDocs(readStore, SUBSCRIPTIONS),
    // A datamodel lives in its pipeline's settings; listed on its own as the API shows it.
    datamodels: pipelines.map((p) => ({
      id: p['datamodel_id'],
      pipeline_id: p.id,
      team_id: p['team_id'],
      ...((p['datamodel'] ?? {}) as Record<string, unknown>),
    })),
  };
}

/** How many of each resource an installation holds, as an import reports it. */
export async function installationCounts(views: ReadModels): Promise<Record<string, number>> {
  const [users, envs, teams, team_members, connectors, pipelines, subscriptions] = await Promise.all(
    [views.users, views.envs, views.teams, views.teamMembers, views.connectors, views.pipelines, views.subscriptions].map((documents) =>
      documents.count({}),
    ),
  );
  return { users, envs, teams, team_members, connectors, pipelines, subscriptions } as Record<string, number>;
}

/** Whether an installation holds no env, team, connector or pipeline, and no user but `userId` (its bootstrap superuser). */
export async function holdsNothingBut(views: ReadModels, userId: string): Promise<boolean> {
  for (const documents of [views.envs, views.teams, views.connectors, views.pipelines]) if ((await documents.count({})) > 0) return false;
  return (await views.users.find({ limit: 2 })).items.every((user) => user.id === userId);
}
