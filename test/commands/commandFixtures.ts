import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteEventStore } from '../../commands/eventstore/sqliteEventStore';
import type { CommandContext, CommandDeps } from '../../commands/handleCommand';
import { EVENT_UPCASTERS } from '../../domain/events';

export const tempDir = (): string => mkdtempSync(join(tmpdir(), 'popsink-test-'));

export function commandDeps(maxRetries = 5): CommandDeps {
  return {
    store: sqliteEventStore(join(tempDir(), 'events.db')),
    newId: randomUUID,
    now: () => new Date(),
    upcasters: EVENT_UPCASTERS,
    maxRetries,
  };
}

export const context = (actorId = 'actor-1'): CommandContext => ({ actorId, correlationId: randomUUID() });
