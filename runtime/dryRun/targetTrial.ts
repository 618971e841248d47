/**
 * What trying rows against a real target found, keeping nothing there: the DDL a start would
 * run, and for each row whether the target took it. Each target has its own trial
 * (postgresTrial.ts, oracleTrial.ts, kafkaTrial.ts); the dry run turns this into its answer.
 */

/** A refusal in the target's words: its code (SQLSTATE, ORA-…, a reason) and message, never a secret. */
export interface TrialFailure {
  readonly code?: string;
  readonly message: string;
}

export interface TargetTrial {
  /** Whether the target answered at all. */
  readonly reachable: boolean;
  /** The DDL a start would run (CREATE TABLE, the ALTER TABLE of schema evolution), in order. */
  readonly ddl: readonly string[];
  /** One entry per row tried, in order: undefined when the target took it. Absent: rows were not tried. */
  readonly outcomes?: readonly (TrialFailure | undefined)[];
  /** Why the target, or its rows, could not be tried: unreachable, a table that cannot take the mapper, DDL refused. */
  readonly error?: TrialFailure;
  /** What the answer should say of this target's trial (what it did not do, and why). */
  readonly notes: readonly string[];
}
