import test from 'ava';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { connectors } from '../../commands/aggregates';
import { sqliteEventStore } from '../../commands/eventstore/sqliteEventStore';
import { handleKeyedCommand } from '../../commands/keyedCommand';
import { EVENT_UPCASTERS } from '../../domain/events';
import { testServer } from '../fixtures/testServers';
import { context } from '../commands/commandFixtures';
import { asRecord, startApi } from './apiFixtures';

const ADMIN = { email: 'parked-admin@example.com', password: 'parked-admin-password' };

test('an event the read store refuses is parked: the admin route names it, the metric counts it, and the API goes on', async (t) => {
  const api = await startApi({
    mongoUrl: testServer('POPSINK_MONGO_URL'),
    env: { POPSINK_ADMIN_EMAIL: ADMIN.email, POPSINK_ADMIN_PASSWORD: ADMIN.password },
  });
  t.teardown(() => api.stop());
  const admin = await api.login(ADMIN.email, ADMIN.password);
  await api.request('POST', '/envs/', { token: admin, json: { name: 'parked' } });
  const team = asRecord((await api.request('POST', '/teams/', { token: admin, json: { name: 'parked-team' } })).body);

  // Another writer of the log (an older version, a script) records what the connectors service
  // refuses: a config with nested arrays, which a MongoDB-wire server (FerretDB) cannot store.
  const store = sqliteEventStore(join(api.dataDir, 'events.db'));
  t.teardown(() => store.close());
  const connectorId = randomUUID();
  await handleKeyedCommand(
    { store, newId: randomUUID, now: () => new Date(), upcasters: EVENT_UPCASTERS },
    context(),
    connectors,
    connectorId,
    {
      type: 'CreateConnector',
      connectorId,
      teamId: String(team['id']),
      connectorType: 'KAFKA_SOURCE',
      name: 'nested',
      config: { topic: 'orders', bootstrap_servers: 'kafka:9092', nested: [[1, 2], [3]] },
    },
  );

  let parked: Record<string, unknown>[] = [];
  for (let tries = 0; tries < 100 && parked.length === 0; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    parked = asRecord((await api.request('GET', '/admin/parked-events', { token: admin })).body)['items'] as Record<string, unknown>[];
  }
  t.is(parked.length, 1);
  t.like(parked[0], { event_type: 'ConnectorCreated', stream_id: `connector-${connectorId}` });
  t.regex(String(parked[0]?.['error']), /\S/);
  t.true(
    api.logs.some((line) => line['message'] === 'event parked: no read model could be written from it; a rebuild tries it again'),
    'the server log says so',
  );

  const metrics = await (await fetch(`${api.url.replace(/\/api$/, '')}/metrics`)).text();
  t.regex(metrics, /^popsink_projection_parked_events 1$/m);

  // The read models go on: a change made after it is read back at once.
  const later = await api.request('POST', '/teams/', { token: admin, json: { name: 'after-the-parked-event' } });
  t.is(later.status, 201);
  t.is(
    asRecord((await api.request('GET', `/teams/${String(asRecord(later.body)['id'])}`, { token: admin })).body)['name'],
    'after-the-parked-event',
  );

  // Superusers only.
  await api.register('parked-member@example.com');
  const member = await api.login('parked-member@example.com');
  t.is((await api.request('GET', '/admin/parked-events', { token: member })).status, 403);
});
