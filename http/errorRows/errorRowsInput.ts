import * as t from 'io-ts';
import { ERROR_ROW_ID, ErrorRowFilter, type ErrorRowSelection } from '../../domain/errorRows/errorRowSelection';
import { ValidationFailure } from '../../domain/failures';
import { MAX_REPLAY_ROWS } from '../../runtime/replay/replayErrorRows';
import { decode } from '../decode';
import { Flag, IsoTime, Uuid } from '../queryCodecs';

/** A non-negative integer, in a JSON body or a query string. */
const Count = new t.Type<number, number, unknown>(
  'integer',
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0,
  (u, c) => {
    const n = typeof u === 'number' ? u : typeof u === 'string' && /^\d{1,9}$/.test(u) ? Number(u) : Number.NaN;
    return Number.isSafeInteger(n) && n >= 0 ? t.success(n) : t.failure(u, c);
  },
  (a) => a,
);

/** A Kafka offset (64-bit, so kept as its decimal text), given as text or as a number. */
const Offset = new t.Type<string, string, unknown>(
  'string',
  (u): u is string => typeof u === 'string' && /^\d{1,19}$/.test(u),
  (u, c) => {
    const text = typeof u === 'number' && Number.isSafeInteger(u) && u >= 0 ? String(u) : u;
    return typeof text === 'string' && /^\d{1,19}$/.test(text) ? t.success(text) : t.failure(u, c);
  },
  String,
);

/** An error row's id as the list answers it: `<partition>-<offset>`. */
const ErrorRowIdText = new t.Type<string, string, unknown>(
  'string',
  (u): u is string => typeof u === 'string' && ERROR_ROW_ID.test(u),
  (u, c) => (typeof u === 'string' && ERROR_ROW_ID.test(u) ? t.success(u) : t.failure(u, c)),
  String,
);

/** The filters of the list, and of a replay by filter (in a body or a query string alike). */
export const ErrorRowFilterFields = t.exact(
  t.partial({
    reason_code: t.string,
    stage: ErrorRowFilter.props.stage,
    partition: Count,
    offset_from: Offset,
    offset_to: Offset,
    since: IsoTime,
    until: IsoTime,
    replayed: Flag,
  }),
);
/** Which subscription's error rows: the pipeline's first when absent. */
const SubscriptionChoice = t.partial({ subscription_id: Uuid });
export const ErrorRowsQuery = t.intersection([ErrorRowFilterFields, SubscriptionChoice]);
const ReplayChoice = t.exact(t.partial({ ids: t.array(ErrorRowIdText), all: t.boolean, subscription_id: t.string }));
export const ReplayBody = t.intersection([ReplayChoice, ErrorRowFilterFields]);

/** Which subscription, and exactly one way of choosing its rows: ids, `all: true`, or filters. */
export function replayRequestOf(body: unknown): { readonly subscriptionId: string | undefined; readonly selection: ErrorRowSelection } {
  const { ids, all, subscription_id: subscriptionId } = decode(ReplayChoice, body, 'body');
  const filter = decode(ErrorRowFilterFields, body, 'body');
  const ways = [ids !== undefined, all === true, Object.keys(filter).length > 0].filter(Boolean).length;
  if (ways !== 1) {
    throw new ValidationFailure([
      {
        loc: ['body'],
        msg: 'give exactly one of: ids, all: true, or filters (reason_code, stage, partition, offset_from, offset_to, since, until, replayed)',
        type: 'value_error.replay_selection',
      },
    ]);
  }
  if (ids !== undefined && (ids.length === 0 || ids.length > MAX_REPLAY_ROWS)) {
    throw new ValidationFailure([{ loc: ['body', 'ids'], msg: `give 1 to ${MAX_REPLAY_ROWS} ids`, type: 'value_error.list.size' }]);
  }
  return { subscriptionId, selection: ids !== undefined ? { ids } : all === true ? { all: true } : { filter } };
}
