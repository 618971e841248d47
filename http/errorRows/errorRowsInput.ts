import * as t from 'io-ts';
import { ERROR_ROW_ID, ErrorRowFilter, type ErrorRowSelection } from '../../domain/errorRows/errorRowSelection';
import { ValidationFailure } from '../../domain/failures';
import { MAX_REPLAY_ROWS } from '../../runtime/replay/replayErrorRows';
import { decode } from '../decode';
import { documented, type JsonSchema } from '../../domain/jsonSchema';
import { Flag, IsoTime, Uuid } from '../queryCodecs';

/** What Count and Offset take: a non-negative safe integer, or up to `digits` ASCII digits as text. */
const wholeNumber = (digits: number): JsonSchema => ({
  anyOf: [
    { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    { type: 'string', pattern: `^[0-9]{1,${digits}}$` },
  ],
});

/** A non-negative integer, in a JSON body or a query string. */
const Count = documented(
  new t.Type<number, number, unknown>(
    'integer',
    (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0,
    (u, c) => {
      const n = typeof u === 'number' ? u : typeof u === 'string' && /^\d{1,9}$/.test(u) ? Number(u) : Number.NaN;
      return Number.isSafeInteger(n) && n >= 0 ? t.success(n) : t.failure(u, c);
    },
    (a) => a,
  ),
  wholeNumber(9),
);

/** A Kafka offset (64-bit, so kept as its decimal text), given as text or as a number. */
const Offset = documented(
  new t.Type<string, string, unknown>(
    'string',
    (u): u is string => typeof u === 'string' && /^\d{1,19}$/.test(u),
    (u, c) => {
      const text = typeof u === 'number' && Number.isSafeInteger(u) && u >= 0 ? String(u) : u;
      return typeof text === 'string' && /^\d{1,19}$/.test(text) ? t.success(text) : t.failure(u, c);
    },
    String,
  ),
  wholeNumber(19),
);

/** An error row's id as the list answers it: `<partition>-<offset>`. */
const ErrorRowIdText = documented(
  new t.Type<string, string, unknown>(
    'string',
    (u): u is string => typeof u === 'string' && ERROR_ROW_ID.test(u),
    (u, c) => (typeof u === 'string' && ERROR_ROW_ID.test(u) ? t.success(u) : t.failure(u, c)),
    String,
  ),
  // ERROR_ROW_ID's `\d` is ASCII in JavaScript, not in every client's regular expressions.
  { type: 'string', pattern: ERROR_ROW_ID.source.replaceAll('\\d', '[0-9]') },
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
/** The filter fields, as `replayRequestOf` counts them (any one given makes a replay by filter). */
const FILTER_FIELDS = Object.keys(ErrorRowFilterFields.type.props);

/** Decoded by `replayRequestOf`; documented with its rule: exactly one of ids (1 to MAX_REPLAY_ROWS), `all: true`, or filters. */
export const ReplayBody = documented(t.intersection([ReplayChoice, ErrorRowFilterFields]), {
  oneOf: [
    { properties: { ids: { minItems: 1, maxItems: MAX_REPLAY_ROWS } }, required: ['ids'] },
    { properties: { all: { const: true } }, required: ['all'] },
    { anyOf: FILTER_FIELDS.map((name) => ({ required: [name] })) },
  ],
});

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
