import type { EventStore, RecordedEvent, StartFrom } from '../../commands/eventstore/eventStore';
import { EVENT_UPCASTERS } from '../../domain/events';
import { toProjected } from '../../projections/runner';
import { auditTrail, mentions, type AuditEntry } from '../audit/auditTrail';
import { CliFailure, EXIT, parseOptions, timeOption, usageFailure, type CliCommand } from '../context';
import { openServerEventStore, serverConfig } from '../storeConfig';

const usage = [
  'usage: popsink audit [--since ISO] [--until ISO] [--user EMAIL|ID] [--resource ID] [--json]',
  '  reads the event log of POPSINK_DATA_DIR / POPSINK_EVENTSTORE_URL (as the server does); --since inclusive, --until exclusive',
].join('\n');

const BATCH = 1_000;

async function* allEvents(store: EventStore): AsyncGenerator<RecordedEvent> {
  let from: StartFrom = 'start';
  for (;;) {
    const batch = await store.readAll(from, BATCH);
    yield* batch;
    const last = batch.at(-1);
    if (last === undefined || batch.length < BATCH) return;
    from = { after: last.position };
  }
}

/** The user ids `--user` names: the id itself, or every user the log ever gave that email. */
async function usersNamed(store: EventStore, user: string): Promise<Set<string>> {
  if (!user.includes('@')) return new Set([user]);
  const wanted = user.toLowerCase();
  const ids = new Set<string>();
  for await (const recorded of allEvents(store)) {
    const event = recorded.type.startsWith('User') ? toProjected(EVENT_UPCASTERS, recorded) : undefined;
    if (event?.type !== 'UserRegistered' && event?.type !== 'UserDeleted' && event?.type !== 'UserEmailChanged') continue;
    const emails = event.type === 'UserEmailChanged' ? [event.data.email, event.data.previousEmail] : [event.data.email];
    if (emails.some((email) => email.toLowerCase() === wanted)) ids.add(event.data.userId);
  }
  if (ids.size === 0) throw new CliFailure(EXIT.failure, `no user with email ${user} in the event log`);
  return ids;
}

/** Who did what, when, from the event log itself (not the read models). */
export const command: CliCommand = {
  name: 'audit',
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseOptions(
      args,
      {
        since: { type: 'string' },
        until: { type: 'string' },
        user: { type: 'string' },
        resource: { type: 'string' },
        json: { type: 'boolean' },
      },
      usage,
    );
    if (positionals.length > 0) throw usageFailure(`unexpected argument ${positionals[0]}`, usage);
    const since = timeOption('since', values.since, usage);
    const until = timeOption('until', values.until, usage);
    if (since !== undefined && until !== undefined && until <= since) throw usageFailure('--until must be after --since', usage);
    if (values.user === '' || values.resource === '') throw usageFailure('--user and --resource need a value', usage);

    const store = await openServerEventStore(serverConfig(ctx), { mustExist: true });
    try {
      const actors = values.user === undefined ? undefined : await usersNamed(store, values.user);
      const wanted = (entry: AuditEntry): boolean => {
        const time = Date.parse(entry.time);
        return (
          (since === undefined || time >= since) &&
          (until === undefined || time < until) &&
          (actors === undefined || actors.has(entry.actor_id)) &&
          (values.resource === undefined || mentions(entry, values.resource))
        );
      };
      // The whole log is read even for a short range: emails and the last configs come from earlier events.
      const trail = auditTrail(EVENT_UPCASTERS);
      for await (const event of allEvents(store)) {
        const described = trail.describe(event);
        if (described !== undefined && wanted(described.entry))
          ctx.write(`${values.json === true ? JSON.stringify(described.entry) : described.line}\n`);
      }
      return EXIT.ok;
    } finally {
      await store.close();
    }
  },
};
