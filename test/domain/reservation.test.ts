import test from 'ava';
import { reservationDecider, type ReservationEvent } from '../../domain/reservation/reservation';
import { deciderSpec } from './deciderSpec';

const spec = deciderSpec(reservationDecider);
const key = { scope: 'email', value: 'jane@example.com' };
const claimedBy = (ownerId: string): ReservationEvent => ({ type: 'ReservationClaimed', data: { ...key, ownerId } });
const releasedBy = (ownerId: string): ReservationEvent => ({ type: 'ReservationReleased', data: { ...key, ownerId } });
const takenCode = 'REGISTER_USER_ALREADY_EXISTS';

test('claim: a free value is claimed; a held one is refused with the taken code; the holder claiming again changes nothing', (t) => {
  spec
    .given([])
    .when({ type: 'Claim', ...key, ownerId: 'u-1', takenCode })
    .then(t, [claimedBy('u-1')]);
  spec
    .given([claimedBy('u-1')])
    .when({ type: 'Claim', ...key, ownerId: 'u-2', takenCode })
    .thenFails(t, { kind: 'conflict', code: takenCode });
  spec
    .given([claimedBy('u-1')])
    .when({ type: 'Claim', ...key, ownerId: 'u-1', takenCode })
    .then(t, []);
});

test('take over: from the named holder, as a release then a claim', (t) => {
  spec
    .given([claimedBy('u-dead')])
    .when({ type: 'TakeOver', ...key, ownerId: 'u-1', fromOwnerId: 'u-dead', takenCode })
    .then(t, [releasedBy('u-dead'), claimedBy('u-1')]);
});

test('take over: refused once another owner got the value meanwhile (two repairs cannot both win)', (t) => {
  spec
    .given([claimedBy('u-dead'), releasedBy('u-dead'), claimedBy('u-2')])
    .when({ type: 'TakeOver', ...key, ownerId: 'u-1', fromOwnerId: 'u-dead', takenCode })
    .thenFails(t, { kind: 'conflict', code: takenCode });
});

test('take over: of a value released meanwhile, a plain claim', (t) => {
  spec
    .given([claimedBy('u-dead'), releasedBy('u-dead')])
    .when({ type: 'TakeOver', ...key, ownerId: 'u-1', fromOwnerId: 'u-dead', takenCode })
    .then(t, [claimedBy('u-1')]);
});
