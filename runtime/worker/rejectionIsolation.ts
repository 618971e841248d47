import { TargetError } from '../targets/rowTarget';

export interface RejectedItem<T> {
  readonly item: T;
  readonly error: TargetError;
}

/**
 * Writes `items` with `write`; when the target rejects the data of some of them, finds which by
 * halving the call that failed (log2(n) extra calls per rejected item instead of one call per
 * item), writes every other item, and answers the rejected ones with the target's error. Any
 * other failure is thrown as it is: nothing is isolated from an outage.
 */
export async function writeIsolatingRejections<T>(items: readonly T[], write: (items: readonly T[]) => Promise<void>): Promise<RejectedItem<T>[]> {
  if (items.length === 0) return [];
  try {
    await write(items);
    return [];
  } catch (error: unknown) {
    if (!(error instanceof TargetError) || error.kind !== 'rejected') throw error;
    const [only] = items;
    if (items.length === 1 && only !== undefined) return [{ item: only, error }];
    const middle = Math.ceil(items.length / 2);
    const first = await writeIsolatingRejections(items.slice(0, middle), write);
    return [...first, ...(await writeIsolatingRejections(items.slice(middle), write))];
  }
}
