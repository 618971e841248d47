import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import type { FindQuery, ReadStore, Scalar, SortKey, Where } from './readStore';

/** A read model's document as its view writes it: decoded once, where it leaves the store. */
export type Document = { readonly id: string };

type Field<D> = Extract<keyof D, string> | 'id';
/** Equality on a document's fields; an array value means "one of". */
export type WhereOf<D> = Partial<Record<Field<D>, Scalar | readonly Scalar[]>>;

export interface QueryOf<D> {
  readonly where?: WhereOf<D>;
  /** At least one of these must also match. */
  readonly anyOf?: readonly WhereOf<D>[];
  readonly range?: { readonly field: Field<D>; readonly gte?: Scalar; readonly lte?: Scalar };
  /** Case-insensitive substring match. */
  readonly search?: { readonly field: Field<D>; readonly text: string };
  readonly sort?: readonly (SortKey & { readonly field: Field<D> })[];
  readonly skip?: number;
  readonly limit?: number;
}

/** The typed queries every view offers over its collection; views add named ones beside them. */
export interface Documents<D extends Document> {
  get(id: string): Promise<D | undefined>;
  find(query: QueryOf<D>): Promise<{ readonly items: D[]; readonly total: number }>;
  /** The first match of `where`, or undefined. */
  first(where: WhereOf<D>): Promise<D | undefined>;
  /** How many documents match `where`. */
  count(where: WhereOf<D>): Promise<number>;
  /** Matching documents counted per distinct value of `field`. */
  countBy(field: Field<D>, where?: WhereOf<D>): Promise<Record<string, number>>;
  /** The collection's version token (`ReadStore.versionOf`): what was derived from it holds while this is the same object. */
  version(): object | undefined;
}

/** A read model that does not match its view's codec: the store was written by something else. */
export class CorruptReadModelError extends Error {
  constructor(collection: string, id: string, reasons: readonly string[]) {
    super(`${collection}/${id} does not match its view's document: ${reasons.slice(0, 3).join('; ')}`);
    this.name = 'CorruptReadModelError';
  }
}

// An absent field in a typed `where` is no condition at all (not "equals undefined").
const storeWhere = <D>(where: WhereOf<D> | undefined): Where | undefined =>
  where === undefined ? undefined : Object.fromEntries(Object.entries(where).filter(([, value]) => value !== undefined));

const storeQuery = <D>({ where, anyOf, ...rest }: QueryOf<D>): FindQuery => ({
  ...rest,
  where: storeWhere(where),
  ...(anyOf === undefined ? {} : { anyOf: anyOf.map((one) => storeWhere(one) ?? {}) }),
});

/** Typed access to one collection: every document read is decoded with the view's codec. */
export function documentsOf<D extends Document>(codec: t.Type<D, unknown, unknown>, collection: string, store: ReadStore): Documents<D> {
  // The embedded store hands out the stored object itself until a write replaces it, so a document
  // that decoded to itself is known to match the codec for as long as that object lives, and is not
  // decoded again on every read of a list or a guard. Only such documents are remembered, so a read
  // answers exactly what decoding would; MongoDB's, a new object per read, are decoded each time.
  const matching = new WeakSet<object>();
  const decoded = (doc: { readonly id: string }): D => {
    if (matching.has(doc)) return doc as D;
    const result = codec.decode(doc);
    if (isLeft(result)) throw new CorruptReadModelError(collection, doc.id, PathReporter.report(result));
    if (result.right === doc) matching.add(doc);
    return result.right;
  };
  return {
    async get(id) {
      const doc = await store.get(collection, id);
      return doc === undefined ? undefined : decoded(doc);
    },
    async find(query) {
      const page = await store.find(collection, storeQuery(query));
      return { items: page.items.map(decoded), total: page.total };
    },
    async first(where) {
      const doc = (await store.find(collection, { where: storeWhere(where), limit: 1 })).items[0];
      return doc === undefined ? undefined : decoded(doc);
    },
    async count(where) {
      return (await store.find(collection, { where: storeWhere(where), limit: 1 })).total;
    },
    countBy: (field, where) => store.countBy(collection, field, storeWhere(where)),
    version: () => store.versionOf(collection),
  };
}
