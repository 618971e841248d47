import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteEventStore } from '../../commands/eventstore/sqliteEventStore';
import { eventStoreConformance } from '../conformance/eventStoreConformance';

eventStoreConformance(test, 'sqlite', async () => sqliteEventStore(join(mkdtempSync(join(tmpdir(), 'popsink-es-')), 'events.db')));
