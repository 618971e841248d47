import { call } from './http';
import type { MapperEntry } from './types';

/** Runs the mapper the workers run over sample messages: one row per message, or a 422 per failing one. */
export const processMapper = (config: readonly MapperEntry[], messages: readonly unknown[]): Promise<readonly Record<string, unknown>[]> =>
  call('POST', '/smt/process_mapper', { json: { config, message: messages } });
