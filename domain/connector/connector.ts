import * as t from 'io-ts';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { ConnectorType } from './connectorConfig';
import { eventOf, type Decider } from '../decider';
import { conflict, notFound, type DomainError } from '../errors';
import { settingsChanges } from '../settingsChanges';
import { validateName } from '../names';

/**
 * A connection to a source, a target or a reusable transform, owned by a team. Its config is
 * the one `validateConnectorConfig` normalised, with the secret fields already sealed by the
 * command layer: the log never holds a secret in clear.
 */
const ConnectorSettings = t.type({ name: t.string, config: t.UnknownRecord });
type ConnectorSettings = t.TypeOf<typeof ConnectorSettings>;

export const ConnectorEvent = t.union([
  eventOf(
    'ConnectorCreated',
    t.intersection([t.type({ connectorId: t.string, teamId: t.string, connectorType: ConnectorType }), ConnectorSettings]),
  ),
  eventOf(
    'ConnectorUpdated',
    t.intersection([t.type({ connectorId: t.string, teamId: t.string, previousName: t.string }), t.partial(ConnectorSettings.props)]),
  ),
  eventOf('ConnectorDeleted', t.type({ connectorId: t.string, teamId: t.string, name: t.string })),
]);
export type ConnectorEvent = t.TypeOf<typeof ConnectorEvent>;

export type ConnectorCommand =
  | ({
      readonly type: 'CreateConnector';
      readonly connectorId: string;
      readonly teamId: string;
      readonly connectorType: ConnectorType;
    } & ConnectorSettings)
  | ({ readonly type: 'UpdateConnector' } & Partial<ConnectorSettings>)
  | { readonly type: 'DeleteConnector' };

export type ConnectorState =
  | { readonly status: 'absent' | 'deleted' }
  | ({
      readonly status: 'exists';
      readonly connectorId: string;
      readonly teamId: string;
      readonly connectorType: ConnectorType;
    } & ConnectorSettings);

const evolve = (state: ConnectorState, event: ConnectorEvent): ConnectorState => {
  switch (event.type) {
    case 'ConnectorCreated': {
      const { connectorId, teamId, connectorType, name, config } = event.data;
      return { status: 'exists', connectorId, teamId, connectorType, name, config };
    }
    case 'ConnectorUpdated': {
      if (state.status !== 'exists') return state;
      const { connectorId: _id, teamId: _team, previousName: _previous, ...changes } = event.data;
      return { ...state, ...changes };
    }
    case 'ConnectorDeleted':
      return { status: 'deleted' };
  }
};

const decide = (command: ConnectorCommand, state: ConnectorState): Either<DomainError, readonly ConnectorEvent[]> => {
  if (command.type === 'CreateConnector') {
    if (state.status !== 'absent') return left(conflict('CONNECTOR_ALREADY_EXISTS'));
    const name = validateName(command.name, ['body', 'name']);
    if (typeof name !== 'string') return left(name);
    const { type: _type, ...data } = command;
    return right([{ type: 'ConnectorCreated', data: { ...data, name } }]);
  }
  if (state.status !== 'exists') return left(notFound('CONNECTOR_NOT_FOUND'));
  const { connectorId, teamId } = state;
  if (command.type === 'DeleteConnector') return right([{ type: 'ConnectorDeleted', data: { connectorId, teamId, name: state.name } }]);
  const { type: _type, ...requested } = command;
  const changes = settingsChanges<ConnectorSettings>(state, requested);
  if (isLeft(changes)) return changes;
  if (Object.keys(changes.right).length === 0) return right([]);
  return right([{ type: 'ConnectorUpdated', data: { connectorId, teamId, previousName: state.name, ...changes.right } }]);
};

export const connectorDecider: Decider<ConnectorCommand, ConnectorEvent, ConnectorState> = {
  initialState: { status: 'absent' },
  evolve,
  decide,
  eventCodec: ConnectorEvent,
};
