import { useCallback, useEffect, useRef, useState, type DependencyList } from 'react';

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  reload(): void;
}

/**
 * Runs `load` when the dependencies change, on `reload`, and with `everyMs` at that interval
 * (a live page). An answer is kept only if no later call was answered first and the
 * dependencies are still those it was asked for: a slow answer never overwrites a newer one,
 * and a slow server still shows each answer as it comes (calls are not cancelled).
 */
export function useLoad<T>(load: () => Promise<T>, deps: DependencyList, options: { readonly everyMs?: number } = {}): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [round, setRound] = useState(0);
  const reload = useCallback(() => setRound((value) => value + 1), []);
  const calls = useRef({ generation: 0, issued: 0, applied: 0 });

  useEffect(() => {
    calls.current.generation += 1;
    setData(undefined);
    setError(undefined);
    // `deps` are the caller's: they say when `load` asks for something else.
  }, deps);

  useEffect(() => {
    const generation = calls.current.generation;
    calls.current.issued += 1;
    const number = calls.current.issued;
    const settle = (apply: () => void) => {
      if (generation !== calls.current.generation || number < calls.current.applied) return;
      calls.current.applied = number;
      apply();
    };
    load().then(
      (value) =>
        settle(() => {
          setData(value);
          setError(undefined);
        }),
      (reason: unknown) => settle(() => setError(reason)),
    );
    // `load` is a new closure on every render; `deps` and `round` say when to call it again.
  }, [...deps, round]);

  const everyMs = options.everyMs;
  useEffect(() => {
    if (everyMs === undefined) return;
    const timer = window.setInterval(reload, everyMs);
    return () => window.clearInterval(timer);
  }, [everyMs, reload]);

  return { data, error, reload };
}
