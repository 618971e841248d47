import type { Doc } from '../readStore';

/**
 * The embedded store's answer to a case-insensitive substring search on one field of one
 * collection: each live document whose field is a string, with the value lower-cased once, and
 * (for a field declared as indexed) the ids per trigram of those values. A needle of three or
 * more characters then reads the documents of its rarest trigram only, whatever the collection's
 * size; a shorter one, or a field without trigrams, scans the lower-cased values, which are
 * small uniform entries (a field of a large stored document is a dictionary lookup).
 */
export interface SearchColumn {
  /** Documents whose field is a string. */
  readonly size: number;
  /** Records the document's current value (replacing an earlier one); a non-string value leaves it out. */
  set(doc: Doc, value: unknown): void;
  delete(id: string): void;
  /** How many documents `matching(needle)` will look at, to compare with an equality index. */
  candidates(needle: string): number;
  /** Whether the document's value contains the (lower-cased) needle; false when it has none. */
  contains(id: string, needle: string): boolean;
  /** The documents whose value contains the (lower-cased) needle. */
  matching(needle: string): Doc[];
}

const GRAM = 3;

const gramsOf = (text: string): Set<string> => {
  const grams = new Set<string>();
  for (let i = 0; i + GRAM <= text.length; i++) grams.add(text.slice(i, i + GRAM));
  return grams;
};

export function searchColumn(withTrigrams: boolean): SearchColumn {
  const entries = new Map<string, { readonly folded: string; readonly doc: Doc }>();
  const grams = withTrigrams ? new Map<string, Set<string>>() : undefined;

  /** The ids of the needle's rarest trigram; undefined when the needle has none to look up. */
  const rarest = (needle: string): ReadonlySet<string> | undefined => {
    if (grams === undefined || needle.length < GRAM) return undefined;
    let best: ReadonlySet<string> | undefined;
    for (const gram of gramsOf(needle)) {
      const ids = grams.get(gram) ?? new Set<string>();
      if (best === undefined || ids.size < best.size) best = ids;
    }
    return best;
  };

  const remove = (id: string): void => {
    const entry = entries.get(id);
    if (entry === undefined) return;
    entries.delete(id);
    if (grams === undefined) return;
    for (const gram of gramsOf(entry.folded)) {
      const ids = grams.get(gram);
      ids?.delete(id);
      if (ids?.size === 0) grams.delete(gram);
    }
  };

  return {
    get size() {
      return entries.size;
    },
    set(doc, value) {
      remove(doc.id);
      if (typeof value !== 'string') return;
      const folded = value.toLowerCase();
      entries.set(doc.id, { folded, doc });
      if (grams === undefined) return;
      for (const gram of gramsOf(folded)) {
        let ids = grams.get(gram);
        if (ids === undefined) {
          ids = new Set();
          grams.set(gram, ids);
        }
        ids.add(doc.id);
      }
    },
    delete: remove,
    candidates: (needle) => rarest(needle)?.size ?? entries.size,
    contains: (id, needle) => entries.get(id)?.folded.includes(needle) === true,
    matching(needle) {
      const found: Doc[] = [];
      const ids = rarest(needle);
      if (ids === undefined) {
        for (const { folded, doc } of entries.values()) if (folded.includes(needle)) found.push(doc);
        return found;
      }
      for (const id of ids) {
        const entry = entries.get(id);
        if (entry !== undefined && entry.folded.includes(needle)) found.push(entry.doc);
      }
      return found;
    },
  };
}
