import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { PathReporter } from 'io-ts/lib/PathReporter.js';

/**
 * Reads one stored version of an event type and answers the next version's shape. Stored events
 * are facts and never rewritten: an old shape is brought up to date each time it is read.
 */
export interface Upcaster {
  readonly eventType: string;
  /** The version it reads; it answers version `fromVersion + 1`. */
  readonly fromVersion: number;
  readonly upcast: (data: unknown) => unknown;
}

export interface Upcasters {
  /** The version events of `eventType` are written at: one past its last upcaster, 1 without any. */
  currentVersion(eventType: string): number;
  /** `data` stored at `version`, in the current version's shape; left says why it cannot be. */
  upcast(eventType: string, version: number, data: unknown): Either<string, unknown>;
}

/**
 * The registry of `list`, by event type and version. Each type's upcasters must read versions
 * 1, 2, 3... with none missing, so that every stored version has a path to the current one.
 */
export function upcasters(list: readonly Upcaster[]): Upcasters {
  const byType = new Map<string, Upcaster[]>();
  for (const upcaster of list) byType.set(upcaster.eventType, [...(byType.get(upcaster.eventType) ?? []), upcaster]);
  for (const [eventType, chain] of byType) {
    chain.sort((a, b) => a.fromVersion - b.fromVersion);
    chain.forEach((upcaster, index) => {
      if (upcaster.fromVersion !== index + 1)
        throw new Error(`upcasters of ${eventType}: expected one from version ${index + 1}, found ${upcaster.fromVersion}`);
    });
  }
  const currentVersion = (eventType: string): number => (byType.get(eventType)?.length ?? 0) + 1;
  return {
    currentVersion,
    upcast(eventType, version, data) {
      const current = currentVersion(eventType);
      if (!Number.isInteger(version) || version < 1 || version > current) {
        return left(`${eventType} version ${version} is not one this build reads (1 to ${current})`);
      }
      try {
        return right((byType.get(eventType) ?? []).slice(version - 1).reduce((shape, upcaster) => upcaster.upcast(shape), data));
      } catch (error) {
        // An upcaster meets a shape it was not written for: the event is corrupt, not the reader.
        return left(`${eventType} version ${version} does not upcast: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
  };
}

/** An event as the log or an export file holds it; `version` is absent in logs older than versioning, meaning 1. */
export interface StoredEvent {
  readonly type: string;
  readonly data: unknown;
  readonly version: number | undefined;
}

/**
 * The one way a stored event becomes a domain event: its data is brought to the current
 * version by the registry's upcasters, then decoded (never trusted) by the current codec.
 */
export function decodeStored<E>(codec: t.Decoder<unknown, E>, registry: Upcasters, stored: StoredEvent): Either<readonly string[], E> {
  const data = registry.upcast(stored.type, stored.version ?? 1, stored.data);
  if (isLeft(data)) return left([data.left]);
  const decoded = codec.decode({ type: stored.type, data: data.right });
  return isLeft(decoded) ? left(PathReporter.report(decoded)) : decoded;
}
