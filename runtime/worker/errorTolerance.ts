/**
 * The share of a subscription's recent messages that went to the error table, over a sliding
 * window of the last `size` messages (as Conduit's DLQ nack window): past `tolerance × size` of
 * them, the pipeline stops rather than fill the error table with a feed it no longer understands.
 */
export interface ErrorTolerance {
  /** Counts a batch; answers why the pipeline must stop, or undefined while within the tolerance. */
  record(messages: number, rejected: number): string | undefined;
}

export function errorTolerance(tolerance: number | null, size: number): ErrorTolerance {
  if (tolerance === null) return { record: () => undefined };
  const window = new Uint8Array(size);
  let next = 0;
  let errors = 0;
  const push = (bit: 0 | 1) => {
    errors += bit - (window[next] ?? 0);
    window[next] = bit;
    next = (next + 1) % size;
  };
  return {
    record(messages, rejected) {
      // Rejections last: a batch longer than the window must not push its own out.
      for (let i = 0; i < messages; i += 1) push(i >= messages - rejected ? 1 : 0);
      if (errors <= tolerance * size) return undefined;
      return `${errors} of the last ${size} messages went to the error table (${((100 * errors) / size).toFixed(2)} %), above the subscription's error_tolerance of ${tolerance * 100} %`;
    },
  };
}
