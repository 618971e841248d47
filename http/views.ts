import { notFound } from '../domain/errors';
import type { Doc } from '../projections/readStore';
import { DomainFailure } from './errors';

/** Response shapes of the contract, cut from read-model documents (nothing else leaks out). */
const pick =
  (code: string, fields: readonly string[]) =>
  (doc: Doc | undefined): Record<string, unknown> => {
    if (doc === undefined) throw new DomainFailure(notFound(code));
    return Object.fromEntries([['id', doc.id], ...fields.map((field) => [field, doc[field] ?? null])]);
  };

export const userRead = pick('USER_NOT_FOUND', ['email', 'is_active', 'is_superuser', 'is_verified', 'active_env_id']);
export const envRead = pick('ENV_NOT_FOUND', ['name', 'description', 'use_retention', 'retention_configuration']);
export const teamRead = pick('TEAM_NOT_FOUND', ['name', 'description', 'env_id']);
