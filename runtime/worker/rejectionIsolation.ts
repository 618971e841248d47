import { TargetError } from '../targets/rowTarget';

export interface RejectedItem<T> {
  readonly item: T;
  readonly error: TargetError;
}

export interface IsolationOptions {
  /**
   * How many parts a failed call is first cut into (then halves below): about twice the number
   * of rejected items expected, so that most parts hold at most one and the good items are
   * written again as few times as possible. 2 is plain halving.
   */
  readonly pieces?: number;
  /** Skip the call of all items at once, when it is expected to fail (a feed that rejects rows in most batches). */
  readonly expectRejections?: boolean;
}

/**
 * Writes `items` with `write`; when the target rejects the data of some of them, finds which by
 * cutting the call that failed into parts and halving the parts that fail again (about log2(n)
 * calls per rejected item, not one call per item), writes every other item, and answers the
 * rejected ones with the target's error. Any other failure is thrown as it is: nothing is
 * isolated from an outage.
 */
export async function writeIsolatingRejections<T>(
  items: readonly T[],
  write: (items: readonly T[]) => Promise<void>,
  options: IsolationOptions = {},
): Promise<RejectedItem<T>[]> {
  if (items.length === 0) return [];
  const pieces = Math.max(2, Math.min(items.length, options.pieces ?? 2));
  if (options.expectRejections === true && items.length > 1) return writeInParts(items, write, pieces);
  try {
    await write(items);
    return [];
  } catch (error: unknown) {
    if (!(error instanceof TargetError) || error.kind !== 'rejected') throw error;
    const [only] = items;
    if (items.length === 1 && only !== undefined) return [{ item: only, error }];
    return writeInParts(items, write, pieces);
  }
}

async function writeInParts<T>(
  items: readonly T[],
  write: (items: readonly T[]) => Promise<void>,
  pieces: number,
): Promise<RejectedItem<T>[]> {
  const size = Math.ceil(items.length / pieces);
  const rejected: RejectedItem<T>[] = [];
  for (let start = 0; start < items.length; start += size)
    rejected.push(...(await writeIsolatingRejections(items.slice(start, start + size), write)));
  return rejected;
}
