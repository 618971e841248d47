import test from 'ava';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { users } from '../../commands/aggregates';
import { sqliteEventStore } from '../../commands/eventstore/sqliteEventStore';
import { handleCommand } from '../../commands/handleCommand';
import { handleKeyedCommand } from '../../commands/keyedCommand';
import { ABANDONED_CLAIM_MS, holderOf } from '../../commands/reservations';
import { context, tempDir } from './commandFixtures';
import { EVENT_UPCASTERS } from '../../domain/events';

/**
 * A reservation whose holder died between its claim and its own event, or whose release was
 * lost, is taken over once it is old enough; a claim whose holder holds the value never is.
 */

const DYING_WRITER = fileURLToPath(new URL('../fixtures/dieBetweenAppends.ts', import.meta.url));
const register = (userId: string, email: string) =>
  ({ type: 'RegisterUser', userId, email, passwordHash: 'h', isActive: true, isSuperuser: false }) as const;

/** Command deps over one events.db whose clock the test sets. */
function world() {
  const file = join(tempDir(), 'events.db');
  let offsetMs = 0;
  const deps = { store: sqliteEventStore(file), newId: randomUUID, now: () => new Date(Date.now() + offsetMs), upcasters: EVENT_UPCASTERS };
  return { file, deps, later: (ms: number) => (offsetMs += ms) };
}

test('a writer SIGKILLed between its claim and its own event: the email is taken over once the claim is abandoned', async (t) => {
  const { file, deps, later } = world();
  const email = `jane-${randomUUID().slice(0, 8)}@example.com`;
  const exit = await new Promise<NodeJS.Signals | null>((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', DYING_WRITER, file, 'u-dead', email], () => undefined);
    child.once('exit', (_code, signal) => resolve(signal));
  });
  t.is(exit, 'SIGKILL', 'the writer died');
  t.is(await holderOf(deps, { scope: 'email', value: email }), 'u-dead', 'its claim stayed');
  t.is((await deps.store.readStream(users.stream('u-dead'))).length, 0, 'its user was never written');

  const tooSoon = await handleKeyedCommand(deps, context(), users, 'u-1', register('u-1', email));
  t.true(isLeft(tooSoon) && tooSoon.left.code === 'REGISTER_USER_ALREADY_EXISTS', 'a fresh claim is left to its holder');

  later(ABANDONED_CLAIM_MS + 1000);
  const repaired = await handleKeyedCommand(deps, context(), users, 'u-1', register('u-1', email));
  t.true(isRight(repaired), 'the abandoned claim is taken over');
  t.is(await holderOf(deps, { scope: 'email', value: email }), 'u-1');
  const again = await handleKeyedCommand(deps, context(), users, 'u-2', register('u-2', email));
  t.true(isLeft(again) && again.left.code === 'REGISTER_USER_ALREADY_EXISTS', 'the new holder keeps it');
});

test('a holder that holds its value is never taken over, however old the claim', async (t) => {
  const { deps, later } = world();
  t.true(isRight(await handleKeyedCommand(deps, context(), users, 'u-1', register('u-1', 'kept@example.com'))));
  later(10 * ABANDONED_CLAIM_MS);
  const refused = await handleKeyedCommand(deps, context(), users, 'u-2', register('u-2', 'kept@example.com'));
  t.true(isLeft(refused) && refused.left.code === 'REGISTER_USER_ALREADY_EXISTS');
  t.is(await holderOf(deps, { scope: 'email', value: 'kept@example.com' }), 'u-1');
});

test('a deleted holder whose release was lost gives its value up', async (t) => {
  const { deps, later } = world();
  t.true(isRight(await handleKeyedCommand(deps, context(), users, 'u-1', register('u-1', 'gone@example.com'))));
  // The delete's own event, without the release that handleKeyedCommand appends after it.
  t.true(isRight(await handleCommand(deps, users.decider, users.stream('u-1'), { type: 'DeleteUser' }, context())));
  t.is(await holderOf(deps, { scope: 'email', value: 'gone@example.com' }), 'u-1');
  later(ABANDONED_CLAIM_MS + 1000);
  t.true(isRight(await handleKeyedCommand(deps, context(), users, 'u-2', register('u-2', 'gone@example.com'))));
  t.is(await holderOf(deps, { scope: 'email', value: 'gone@example.com' }), 'u-2');
});
