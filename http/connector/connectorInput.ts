import type { Context } from 'koa';
import { randomUUID } from 'node:crypto';
import { isLeft } from 'fp-ts/lib/Either.js';
import { connectors } from '../../commands/aggregates';
import { isSealed, type SecretBox } from '../../infrastructure/crypto/secretBox';
import { connectorRole, ConnectorType, secretFieldsOf, validateConnectorConfig } from '../../domain/connector/connectorConfig';
import { forbidden, notFound } from '../../domain/errors';
import { keepMaskedSecrets, maskSecrets } from '../../domain/connector/secrets';
import { CONNECTORS } from '../../projections/collections';
import type { Doc } from '../../projections/readStore';
import type { ApiDeps } from '../apiDeps';
import type { Caller } from '../auth';
import { ValidationFailure } from '../decode';
import { DomainFailure } from '../errors';
import { execute } from '../execute';

export type Side = 'source' | 'target';

/** One side of a flattened pipeline body: an existing connector, or a new one to create. */
export interface ConnectorChoice {
  readonly existingId?: string | null | undefined;
  readonly name?: string | null | undefined;
  readonly type?: string | null | undefined;
  readonly config?: unknown;
}

const refuse = (loc: (string | number)[], msg: string, type: string): never => {
  throw new ValidationFailure([{ loc, msg, type }]);
};

/** Seals every secret field that holds a clear value, so the event never carries it in clear. */
export function sealSecrets(type: ConnectorType, config: Readonly<Record<string, unknown>>, secrets: SecretBox): Record<string, unknown> {
  const fields = secretFieldsOf(type, config);
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [key, fields.includes(key) && typeof value === 'string' && value !== '' && !isSealed(value) ? secrets.seal(value) : value]),
  );
}

/** A connector document as responses show it: secrets masked. */
export function maskedConfig(connector: Doc): Record<string, unknown> {
  const type = connector['connector_type'];
  const config = (connector['config'] ?? {}) as Record<string, unknown>;
  return ConnectorType.is(type) ? maskSecrets(config, secretFieldsOf(type, config)) : config;
}

/** The connector a pipeline side uses now, when a PATCH resolves that side again. */
export interface CurrentConnector {
  readonly connectorId: string;
  readonly created: boolean;
}

/**
 * Applies a change of name and / or config to a stored connector: a masked secret sent back
 * keeps the stored one, `merge` keeps the stored fields the change does not name (the
 * pipeline PATCH of the contract sends a partial `source_config`), the result is validated
 * for the connector's type at `loc` and its secrets sealed.
 */
export async function updateConnector(
  deps: ApiDeps,
  ctx: Context,
  caller: Caller,
  doc: Doc,
  change: { readonly name?: string | undefined; readonly config?: Record<string, unknown> | undefined },
  options: { readonly merge: boolean; readonly loc: (string | number)[] },
): Promise<void> {
  const type = doc['connector_type'];
  let config: Record<string, unknown> | undefined;
  if (change.config !== undefined && ConnectorType.is(type)) {
    const stored = (doc['config'] ?? {}) as Record<string, unknown>;
    const incoming = keepMaskedSecrets(change.config, stored, secretFieldsOf(type, change.config));
    const validated = validateConnectorConfig(type, options.merge ? { ...stored, ...incoming } : incoming, options.loc);
    if (isLeft(validated)) throw new DomainFailure(validated.left);
    config = sealSecrets(type, validated.right, deps.secrets);
  }
  await execute(deps, ctx, caller.id, connectors, doc.id, {
    type: 'UpdateConnector',
    ...(change.name !== undefined ? { name: change.name } : {}),
    ...(config !== undefined ? { config } : {}),
  });
}

/**
 * Resolves one side of a pipeline: checks an existing connector (same team, right role), or
 * validates, seals and creates the new one; on a PATCH, a name and / or config without a type
 * edits the side's current connector. Answers the connector id and whether the pipeline created it.
 */
export async function resolveConnector(
  deps: ApiDeps,
  ctx: Context,
  caller: Caller,
  teamId: string,
  side: Side,
  choice: ConnectorChoice,
  current?: CurrentConnector,
): Promise<CurrentConnector & { readonly edited?: boolean }> {
  const wantsNew = choice.name != null || choice.type != null || choice.config != null;
  if (current !== undefined && choice.existingId == null && choice.type == null && wantsNew) {
    const doc = await deps.readStore.get(CONNECTORS, current.connectorId);
    if (doc === undefined) throw new DomainFailure(notFound('CONNECTOR_NOT_FOUND'));
    const config = choice.config == null ? undefined : (choice.config as Record<string, unknown>);
    await updateConnector(deps, ctx, caller, doc, { name: choice.name ?? undefined, config }, { merge: true, loc: ['body', `${side}_config`] });
    return { ...current, edited: true };
  }
  if (choice.existingId != null && wantsNew) {
    refuse(['body', `existing_${side}_id`], `Cannot specify both existing_${side}_id and ${side}_name/type/config`, 'value_error.connector_choice');
  }
  if (choice.existingId != null) {
    const connector = await deps.readStore.get(CONNECTORS, choice.existingId);
    if (connector === undefined) throw new DomainFailure(notFound('CONNECTOR_NOT_FOUND'));
    if (connector['team_id'] !== teamId) throw new DomainFailure(forbidden('Unauthorized.'));
    const type = connector['connector_type'];
    if (!ConnectorType.is(type) || connectorRole[type] !== side) {
      refuse(['body', `existing_${side}_id`], `connector ${choice.existingId} is not a ${side} connector`, 'value_error.connector_role');
    }
    return { connectorId: connector.id, created: false };
  }
  if (!wantsNew) refuse(['body', `existing_${side}_id`], `give existing_${side}_id or ${side}_name, ${side}_type and ${side}_config`, 'value_error.missing');
  if (choice.name == null) return refuse(['body', `${side}_name`], 'field required', 'value_error.missing');
  const type = choice.type;
  if (!ConnectorType.is(type) || connectorRole[type] !== side) {
    const permitted = Object.keys(connectorRole).filter((k) => connectorRole[k as ConnectorType] === side);
    return refuse(['body', `${side}_type`], `unexpected value; permitted: ${permitted.join(', ')}`, 'type_error.enum');
  }
  const config = validateConnectorConfig(type, choice.config, ['body', `${side}_config`]);
  if (isLeft(config)) throw new DomainFailure(config.left);
  const connectorId = randomUUID();
  await execute(deps, ctx, caller.id, connectors, connectorId, {
    type: 'CreateConnector',
    connectorId,
    teamId,
    connectorType: type,
    name: choice.name,
    config: sealSecrets(type, config.right, deps.secrets),
  });
  return { connectorId, created: true };
}
