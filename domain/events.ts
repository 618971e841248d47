import * as t from 'io-ts';
import { ConnectorEvent } from './connector/connector';
import { EnvEvent } from './env/env';
import { PipelineEvent } from './pipeline/pipeline';
import { ReservationEvent } from './reservation/reservation';
import { TeamEvent } from './team/team';
import { UserEvent } from './identity/user';
import { upcasters, type Upcasters } from './upcasting/upcasters';

/** Every event the log may hold, decoded by projections, audit and export from what is read back. */
export const AnyEvent = t.union([UserEvent, EnvEvent, TeamEvent, ConnectorEvent, PipelineEvent, ReservationEvent]);
export type AnyEvent = t.TypeOf<typeof AnyEvent>;

const knownTypes = new Set<string>(
  [UserEvent, EnvEvent, TeamEvent, ConnectorEvent, PipelineEvent, ReservationEvent].flatMap((union) =>
    union.types.map((codec) => codec.props.type.value),
  ),
);

/** True when `type` is one of ours, so an event that fails to decode is corrupt, not merely foreign. */
export const isKnownEventType = (type: string): boolean => knownTypes.has(type);

/**
 * How stored events of older shapes become today's: when a codec above changes shape, the
 * upcaster from its previous version goes here, and new events of that type are written at the
 * next version. The composition root passes this registry to every reader and writer of the log.
 */
export const EVENT_UPCASTERS: Upcasters = upcasters([]);
