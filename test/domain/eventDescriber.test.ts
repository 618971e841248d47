import test from 'ava';
import { randomBytes } from 'node:crypto';
import { connectorFields, describeEvent, fieldChanges, logDescriber } from '../../domain/audit/eventDescriber';
import { MASK } from '../../domain/connector/secrets';
import type { AnyEvent } from '../../domain/events';
import { secretBox } from '../../infrastructure/crypto/secretBox';

const box = secretBox(randomBytes(32));
const sealed = box.seal('kafka-pass-1');
const created: AnyEvent = {
  type: 'ConnectorCreated',
  data: {
    connectorId: 'c-1',
    teamId: 't-1',
    connectorType: 'KAFKA_SOURCE',
    name: 'src',
    config: { topic: 'a', sasl_username: 'u', sasl_password: sealed },
  },
};
// An update does not name the connector's type; its secret is masked all the same (here even one in clear).
const updated: AnyEvent = {
  type: 'ConnectorUpdated',
  data: {
    connectorId: 'c-1',
    teamId: 't-1',
    previousName: 'src',
    config: { topic: 'b', sasl_username: 'u', sasl_password: 'kafka-pass-2' },
  },
};

test('a connector config change: secrets masked in details, line and history fields; the leaves it changed named', (t) => {
  const describe = logDescriber();
  const first = describe('connector-c-1', created);
  const second = describe('connector-c-1', updated);
  t.like(first, {
    resource: { type: 'connector', id: 'c-1', teamId: 't-1', envId: null },
    details: { config: { sasl_password: MASK, topic: 'a' } },
  });
  t.deepEqual(first?.changedFields, ['config.topic', 'config.sasl_username', 'config.sasl_password']);
  t.like(second, { details: { previousName: 'src', config: { sasl_password: MASK, topic: 'b' } } });
  t.deepEqual(second?.changedFields, ['config.topic'], 'a changed secret is masked on both sides');
  t.is(second?.summary, 'ConnectorUpdated  connector:c-1  teamId="t-1"  previousName="src"  changed: config.topic');
  const fields = connectorFields({
    status: 'exists',
    connectorId: 'c-1',
    teamId: 't-1',
    connectorType: 'KAFKA_SOURCE',
    name: 'src',
    config: created.type === 'ConnectorCreated' ? created.data.config : {},
  });
  for (const text of [JSON.stringify([first, second]), JSON.stringify(fields)]) {
    for (const secret of ['kafka-pass-1', 'kafka-pass-2', 'sealed:']) t.false(text.includes(secret), secret);
  }
});

test('hashes are withheld: named as changed, never shown', (t) => {
  const description = describeEvent({ type: 'UserPasswordChanged', data: { userId: 'u-1', passwordHash: 'scrypt$secret' } });
  t.deepEqual(description?.details, { userId: 'u-1' });
  t.deepEqual(description?.changedFields, ['passwordHash']);
  t.false(JSON.stringify(description).includes('scrypt'));
});

test("resources: a subscription event is its pipeline's; a team event places its team in its env; reservations are not actions", (t) => {
  t.like(describeEvent({ type: 'SubscriptionPaused', data: { pipelineId: 'p-1', subscriptionId: 's-1' } }), {
    resource: { type: 'pipeline', id: 'p-1' },
    summary: 'SubscriptionPaused  pipeline:p-1  subscriptionId="s-1"',
  });
  t.like(describeEvent({ type: 'TeamMemberAdded', data: { teamId: 't-1', envId: 'e-1', userId: 'u-1', role: 'member' } })?.resource, {
    type: 'team',
    id: 't-1',
    envId: 'e-1',
    teamId: 't-1',
  });
  t.is(describeEvent({ type: 'ReservationClaimed', data: { scope: 'email', value: 'a@b.c', ownerId: 'u-1' } }), undefined);
});

test('one line: lists by length, objects as short JSON, long text cut', (t) => {
  const shown = describeEvent({
    type: 'TeamDeleted',
    data: { teamId: 't-1', envId: 'e-1', name: 'x'.repeat(100), memberIds: ['a', 'b'] },
  })?.shown;
  t.deepEqual(shown, { envId: 'e-1', name: `${'x'.repeat(80)}…`, memberIds: '[2]' });
});

test('field changes: leaves by path, a missing side null', (t) => {
  t.deepEqual(fieldChanges({ a: { b: [1, 2] } }, { a: { b: [1, 3], c: true } }), [
    { field: 'a.b[1]', old: 2, new: 3 },
    { field: 'a.c', old: null, new: true },
  ]);
  t.deepEqual(fieldChanges(undefined, { topic: 'a' }, 'config'), [{ field: 'config.topic', old: null, new: 'a' }]);
});
