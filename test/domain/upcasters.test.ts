import test from 'ava';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { AnyEvent, EVENT_UPCASTERS } from '../../domain/events';
import { decodeStored, upcasters } from '../../domain/upcasting/upcasters';

// An invented history of EnvDeleted: v1 said `title`, v2 `label`, v3 (today's codec) `name`.
const renamed = (from: string, to: string) => (data: unknown) => {
  const { [from]: value, ...rest } = data as Record<string, unknown>;
  return { ...rest, [to]: value };
};
// Registered in any order: the registry chains them by version.
const registry = upcasters([
  { eventType: 'EnvDeleted', fromVersion: 2, upcast: renamed('label', 'name') },
  { eventType: 'EnvDeleted', fromVersion: 1, upcast: renamed('title', 'label') },
]);

test('current version: one past the last upcaster of the type, 1 for a type without any', (t) => {
  t.is(registry.currentVersion('EnvDeleted'), 3);
  t.is(registry.currentVersion('EnvCreated'), 1);
  t.is(EVENT_UPCASTERS.currentVersion('PipelineCreated'), 1);
});

test('decode: each stored version runs the chain from its own version up, then the codec; absent means 1', (t) => {
  const expected = { type: 'EnvDeleted', data: { envId: 'e-1', name: 'prod' } };
  t.deepEqual(decodeStored(AnyEvent, registry, { type: 'EnvDeleted', data: { envId: 'e-1', title: 'prod' }, version: undefined }), {
    _tag: 'Right',
    right: expected,
  });
  t.deepEqual(decodeStored(AnyEvent, registry, { type: 'EnvDeleted', data: { envId: 'e-1', label: 'prod' }, version: 2 }), {
    _tag: 'Right',
    right: expected,
  });
  t.deepEqual(decodeStored(AnyEvent, registry, { type: 'EnvDeleted', data: { envId: 'e-1', name: 'prod' }, version: 3 }), {
    _tag: 'Right',
    right: expected,
  });
  t.true(
    isRight(decodeStored(AnyEvent, EVENT_UPCASTERS, { type: 'EnvDeleted', data: { envId: 'e-1', name: 'prod' }, version: undefined })),
  );
});

test('decode: an old shape without its upcaster, a version newer than this build, or an upcaster that throws is refused with a reason', (t) => {
  const old = decodeStored(AnyEvent, EVENT_UPCASTERS, { type: 'EnvDeleted', data: { envId: 'e-1', title: 'prod' }, version: undefined });
  t.true(isLeft(old));
  const newer = decodeStored(AnyEvent, registry, { type: 'EnvDeleted', data: { envId: 'e-1', name: 'prod' }, version: 4 });
  t.deepEqual(newer, { _tag: 'Left', left: ['EnvDeleted version 4 is not one this build reads (1 to 3)'] });
  const throwing = upcasters([
    {
      eventType: 'EnvDeleted',
      fromVersion: 1,
      upcast: () => {
        throw new Error('no title');
      },
    },
  ]);
  t.deepEqual(decodeStored(AnyEvent, throwing, { type: 'EnvDeleted', data: {}, version: 1 }), {
    _tag: 'Left',
    left: ['EnvDeleted version 1 does not upcast: no title'],
  });
});

test('registry: a chain with a missing version is refused when built, not when an old event is read', (t) => {
  t.throws(() => upcasters([{ eventType: 'EnvDeleted', fromVersion: 2, upcast: (data) => data }]), {
    message: /expected one from version 1, found 2/,
  });
  const twice = { eventType: 'EnvDeleted', fromVersion: 1, upcast: (data: unknown) => data };
  t.throws(() => upcasters([twice, twice]), { message: /expected one from version 2, found 1/ });
});
