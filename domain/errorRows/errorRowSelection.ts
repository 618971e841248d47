import * as t from 'io-ts';

/**
 * Which error rows of a subscription a reader lists or a replay re-runs, in the API's terms (the
 * error table's columns: `reason_code` is `error_code`, `since` / `until` bound `failed_at`, an
 * offset is a decimal string since Kafka's are 64-bit). Every field narrows; none: every row.
 */
export const ErrorRowFilter = t.partial({
  reason_code: t.string,
  stage: t.keyof({ parse: null, map: null, cast: null, target: null }),
  partition: t.number,
  offset_from: t.string,
  offset_to: t.string,
  /** ISO date-times, `since` inclusive, `until` exclusive. */
  since: t.string,
  until: t.string,
  /** true: rows replayed at least once (whatever the outcome); false: rows never replayed. */
  replayed: t.boolean,
});
export type ErrorRowFilter = t.TypeOf<typeof ErrorRowFilter>;

/** An error row's id in the API: `<partition>-<offset>` (an error table holds one source topic's rows per subscription). */
export const ERROR_ROW_ID = /^(\d{1,9})-(\d{1,19})$/;

/** What a replay was asked to re-run: every row, the rows of a filter, or rows by id. Recorded as asked. */
export const ErrorRowSelection = t.union([
  t.type({ all: t.literal(true) }),
  t.type({ ids: t.array(t.string) }),
  t.type({ filter: ErrorRowFilter }),
]);
export type ErrorRowSelection = t.TypeOf<typeof ErrorRowSelection>;

/**
 * What a replay did: `selected` rows matched the selection, of which `skipped_already_applied`
 * had been applied by an earlier replay, `applied` landed now, `failed` failed again, and
 * `remaining` were left for another call (a call re-runs a bounded number of rows).
 */
export const ReplayCounts = t.type({
  selected: t.number,
  applied: t.number,
  failed: t.number,
  skipped_already_applied: t.number,
  remaining: t.number,
});
export type ReplayCounts = t.TypeOf<typeof ReplayCounts>;
