/**
 * `compute`, worked out once per key object and kept for as long as the key lives (a WeakMap):
 * for values derived from read-model documents, which stay the same object until they change.
 */
export function keptPerObject<K extends object, V>(compute: (key: K) => V): (key: K) => V {
  const kept = new WeakMap<K, V>();
  return (key) => {
    if (kept.has(key)) return kept.get(key) as V;
    const value = compute(key);
    kept.set(key, value);
    return value;
  };
}
