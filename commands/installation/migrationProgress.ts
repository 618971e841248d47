/**
 * A progress line at most every `everyMs` (none for a run shorter than that), so that a long export
 * or import shows it is moving without burying a short one in output. `line` is only built when written.
 */
export function throttledProgress(write: (line: string) => void, everyMs = 2000): (line: () => string) => void {
  let last = Date.now();
  return (line) => {
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    write(line());
  };
}

export const megabytes = (bytes: number): string => `${(bytes / 1_048_576).toFixed(1)} MB`;
