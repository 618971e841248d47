/**
 * Runs `work` against a deadline. Past it the call fails at once with `timeout()` while the work
 * is abandoned (its late failure is swallowed: nobody is left to hear it). `cleanup` always runs:
 * awaited when the work settled in time, left to finish in the background after a timeout, so a
 * timed-out call still answers within its budget.
 */
export async function withinDeadline<T>(ms: number, timeout: () => Error, work: Promise<T>, cleanup: () => Promise<void>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let expired = false;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      expired = true;
      reject(timeout());
    }, ms);
  });
  work.catch(() => undefined);
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
    const closing = cleanup();
    if (!expired) await closing;
  }
}
