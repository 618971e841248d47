/** A collection that can say whether it changed (`Documents.version`). */
export interface Versioned {
  version(): object | undefined;
}

interface Entry<V> {
  readonly versions: readonly object[];
  readonly value: V;
}

export interface KeptWhileUnchanged<V> {
  /** What was derived for (owner, key), while none of the collections changed since; undefined when it must be derived again. */
  known(owner: object, key: string): { readonly value: V } | undefined;
  /**
   * The known value, else `compute`'s, kept when every collection can tell its version (the
   * embedded store can; a shared MongoDB cannot).
   */
  answer(owner: object, key: string, compute: () => Promise<V>): Promise<V>;
}

/**
 * Values derived from read models (who a token's caller is, whether a caller may read a team),
 * kept per owner object and key for as long as the collections they were read from are unchanged,
 * so that a request repeating a question the read models already answered does not read them
 * again. A write to any of the collections forgets every value derived from it; a value derived
 * while one was written is never answered, as the versions are taken before deriving. Owners are
 * held weakly: a value goes with its owner.
 */
export function keptWhileUnchanged<V>(collections: readonly Versioned[]): KeptWhileUnchanged<V> {
  const kept = new WeakMap<object, Map<string, Entry<V>>>();
  const unchanged = (versions: readonly object[]): boolean => collections.every((collection, i) => collection.version() === versions[i]);
  const known = (owner: object, key: string): Entry<V> | undefined => {
    const entry = kept.get(owner)?.get(key);
    return entry !== undefined && unchanged(entry.versions) ? entry : undefined;
  };
  const derive = async (owner: object, key: string, compute: () => Promise<V>): Promise<V> => {
    const versions = collections.map((collection) => collection.version());
    const value = await compute();
    if (versions.every((version): version is object => version !== undefined)) {
      let entries = kept.get(owner);
      if (entries === undefined) {
        entries = new Map();
        kept.set(owner, entries);
      }
      entries.set(key, { versions, value });
    }
    return value;
  };
  return {
    known,
    answer(owner, key, compute) {
      const entry = known(owner, key);
      return entry !== undefined ? Promise.resolve(entry.value) : derive(owner, key, compute);
    },
  };
}
