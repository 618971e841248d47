import * as t from 'io-ts';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { eventOf, type Decider } from '../decider';
import { conflict, notFound, type DomainError } from '../errors';
import { validateName } from '../names';
import { settingsChanges } from '../settingsChanges';

export const RetentionConfiguration = t.partial({
  retention_ms: t.union([t.number, t.null]),
  retention_bytes: t.union([t.number, t.null]),
});
export type RetentionConfiguration = t.TypeOf<typeof RetentionConfiguration>;

const EnvSettings = t.type({
  name: t.string,
  description: t.union([t.string, t.null]),
  useRetention: t.boolean,
  retentionConfiguration: t.union([RetentionConfiguration, t.null]),
});
export type EnvSettings = t.TypeOf<typeof EnvSettings>;

export const EnvEvent = t.union([
  eventOf('EnvCreated', t.intersection([t.type({ envId: t.string, ownerId: t.string }), EnvSettings])),
  eventOf('EnvUpdated', t.intersection([t.type({ envId: t.string, previousName: t.string }), t.partial(EnvSettings.props)])),
  eventOf('EnvDeleted', t.type({ envId: t.string, name: t.string })),
]);
export type EnvEvent = t.TypeOf<typeof EnvEvent>;

export type EnvCommand =
  | ({ readonly type: 'CreateEnv'; readonly envId: string; readonly ownerId: string } & EnvSettings)
  | ({ readonly type: 'UpdateEnv' } & Partial<EnvSettings>)
  | { readonly type: 'DeleteEnv' };

export type EnvState = { readonly status: 'absent' | 'deleted' } | ({ readonly status: 'exists'; readonly envId: string } & EnvSettings);

const evolve = (state: EnvState, event: EnvEvent): EnvState => {
  switch (event.type) {
    case 'EnvCreated': {
      const { envId, name, description, useRetention, retentionConfiguration } = event.data;
      return { status: 'exists', envId, name, description, useRetention, retentionConfiguration };
    }
    case 'EnvUpdated': {
      if (state.status !== 'exists') return state;
      const { envId: _id, previousName: _previous, ...changes } = event.data;
      return { ...state, ...changes };
    }
    case 'EnvDeleted':
      return { status: 'deleted' };
  }
};

const decide = (command: EnvCommand, state: EnvState): Either<DomainError, readonly EnvEvent[]> => {
  if (command.type === 'CreateEnv') {
    if (state.status !== 'absent') return left(conflict('ENV_ALREADY_EXISTS'));
    const name = validateName(command.name, ['body', 'name']);
    if (typeof name !== 'string') return left(name);
    const { type: _type, ...data } = command;
    return right([{ type: 'EnvCreated', data: { ...data, name } }]);
  }
  if (state.status !== 'exists') return left(notFound('ENV_NOT_FOUND'));
  if (command.type === 'DeleteEnv') return right([{ type: 'EnvDeleted', data: { envId: state.envId, name: state.name } }]);

  const { type: _type, ...requested } = command;
  const changes = settingsChanges<EnvSettings>(state, requested);
  if (isLeft(changes)) return changes;
  if (Object.keys(changes.right).length === 0) return right([]);
  return right([{ type: 'EnvUpdated', data: { envId: state.envId, previousName: state.name, ...changes.right } }]);
};

export const envDecider: Decider<EnvCommand, EnvEvent, EnvState> = {
  initialState: { status: 'absent' },
  evolve,
  decide,
  eventCodec: EnvEvent,
};
