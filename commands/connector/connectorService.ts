import { randomUUID } from 'node:crypto';
import { isLeft } from 'fp-ts/lib/Either.js';
import { connectorRole, ConnectorType, secretFieldsOf, typesOfRole, validateConnectorConfig } from '../../domain/connector/connectorConfig';
import { keepMaskedSecrets } from '../../domain/connector/secrets';
import type { ConnectorState } from '../../domain/connector/connector';
import { conflict, forbidden, notFound } from '../../domain/errors';
import { DomainFailure, ValidationFailure } from '../../domain/failures';
import { isSealed, type SecretBox } from '../../infrastructure/crypto/secretBox';
import { connectors } from '../aggregates';
import { execute, stateOf, type ServiceDeps } from '../execute';
import type { CommandContext } from '../handleCommand';

/**
 * The connector workflows: every connector config that enters an event passes here, validated
 * for its type and with its secrets sealed, whether it came from the connectors API, a
 * pipeline's flattened body or an import.
 */
export interface ConnectorDeps extends ServiceDeps {
  /** Seals connector secrets before they enter an event; opened only for workers and checks. */
  readonly secrets: SecretBox;
}

export type Side = 'source' | 'target';
type Loc = (string | number)[];
type ExistingConnector = Extract<ConnectorState, { status: 'exists' }>;

const refuse = (loc: Loc, msg: string, type: string): never => {
  throw new ValidationFailure([{ loc, msg, type }]);
};

/** Seals every secret field that holds a clear value, so the event never carries it in clear. */
export function sealSecrets(type: ConnectorType, config: Readonly<Record<string, unknown>>, secrets: SecretBox): Record<string, unknown> {
  const fields = secretFieldsOf(type, config);
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [
      key,
      fields.includes(key) && typeof value === 'string' && value !== '' && !isSealed(value) ? secrets.seal(value) : value,
    ]),
  );
}

async function existing(deps: ConnectorDeps, connectorId: string): Promise<ExistingConnector> {
  const state = await stateOf(deps, connectors, connectorId);
  if (state.status !== 'exists') throw new DomainFailure(notFound('CONNECTOR_NOT_FOUND'));
  return state;
}

export interface NewConnector {
  readonly teamId: string;
  readonly type: ConnectorType;
  readonly name: string;
  readonly config: unknown;
}

/** Validates a new connector's config for its type at `loc`, seals its secrets and creates it; answers its id. */
export async function createConnector(deps: ConnectorDeps, context: CommandContext, connector: NewConnector, loc: Loc): Promise<string> {
  const config = validateConnectorConfig(connector.type, connector.config, loc);
  if (isLeft(config)) throw new DomainFailure(config.left);
  const connectorId = randomUUID();
  await execute(deps, context, connectors, connectorId, {
    type: 'CreateConnector',
    connectorId,
    teamId: connector.teamId,
    connectorType: connector.type,
    name: connector.name,
    config: sealSecrets(connector.type, config.right, deps.secrets),
  });
  return connectorId;
}

export interface ConnectorChange {
  readonly name?: string | undefined;
  readonly config?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * Applies a change of name and / or config to a stored connector: a masked secret sent back
 * keeps the stored one, `merge` keeps the stored fields the change does not name (the
 * pipeline PATCH of the contract sends a partial `source_config`), the result is validated
 * for the connector's type at `loc` and its secrets sealed.
 */
export async function updateConnector(
  deps: ConnectorDeps,
  context: CommandContext,
  connectorId: string,
  change: ConnectorChange,
  options: { readonly merge: boolean; readonly loc: Loc },
): Promise<void> {
  const stored = await existing(deps, connectorId);
  let config: Record<string, unknown> | undefined;
  if (change.config !== undefined) {
    const incoming = keepMaskedSecrets(change.config, stored.config, secretFieldsOf(stored.connectorType, change.config));
    const validated = validateConnectorConfig(
      stored.connectorType,
      options.merge ? { ...stored.config, ...incoming } : incoming,
      options.loc,
    );
    if (isLeft(validated)) throw new DomainFailure(validated.left);
    config = sealSecrets(stored.connectorType, validated.right, deps.secrets);
  }
  await execute(deps, context, connectors, connectorId, {
    type: 'UpdateConnector',
    ...(change.name !== undefined ? { name: change.name } : {}),
    ...(config !== undefined ? { config } : {}),
  });
}

/** Deletes a connector no pipeline uses; `usedBy` counts the pipelines that read from or write to it. */
export async function deleteConnector(deps: ConnectorDeps, context: CommandContext, connectorId: string, usedBy: number): Promise<void> {
  if (usedBy > 0) throw new DomainFailure(conflict('CONNECTOR_IN_USE', 'A pipeline uses this connector'));
  await execute(deps, context, connectors, connectorId, { type: 'DeleteConnector' });
}

/** Checks that a connector exists in `teamId` with the role `side`, answering `loc` for a wrong role. */
export async function connectorOfTeam(
  deps: ConnectorDeps,
  connectorId: string,
  teamId: string,
  side: Side,
  loc: Loc,
): Promise<ExistingConnector> {
  const connector = await existing(deps, connectorId);
  if (connector.teamId !== teamId) throw new DomainFailure(forbidden('Unauthorized.'));
  if (connectorRole[connector.connectorType] !== side)
    refuse(loc, `connector ${connectorId} is not a ${side} connector`, 'value_error.connector_role');
  return connector;
}

/** One side of a flattened pipeline body: an existing connector, or a new one to create. */
export interface ConnectorChoice {
  readonly existingId?: string | null | undefined;
  readonly name?: string | null | undefined;
  readonly type?: string | null | undefined;
  readonly config?: unknown;
}

/** The connector a pipeline side uses, and whether the pipeline created it. */
export interface PipelineConnector {
  readonly connectorId: string;
  readonly created: boolean;
}

/**
 * Resolves one side of a pipeline: checks an existing connector (same team, right role), or
 * validates, seals and creates the new one; on a PATCH, a name and / or config without a type
 * edits the side's current connector. Answers the connector and whether this call edited it.
 */
export async function resolveConnector(
  deps: ConnectorDeps,
  context: CommandContext,
  teamId: string,
  side: Side,
  choice: ConnectorChoice,
  current?: PipelineConnector,
): Promise<PipelineConnector & { readonly edited: boolean }> {
  const wantsNew = choice.name != null || choice.type != null || choice.config != null;
  if (current !== undefined && choice.existingId == null && choice.type == null && wantsNew) {
    const config = choice.config == null ? undefined : (choice.config as Record<string, unknown>);
    await updateConnector(
      deps,
      context,
      current.connectorId,
      { name: choice.name ?? undefined, config },
      { merge: true, loc: ['body', `${side}_config`] },
    );
    return { ...current, edited: true };
  }
  if (choice.existingId != null && wantsNew) {
    refuse(
      ['body', `existing_${side}_id`],
      `Cannot specify both existing_${side}_id and ${side}_name/type/config`,
      'value_error.connector_choice',
    );
  }
  if (choice.existingId != null) {
    await connectorOfTeam(deps, choice.existingId, teamId, side, ['body', `existing_${side}_id`]);
    return { connectorId: choice.existingId, created: false, edited: false };
  }
  if (!wantsNew)
    refuse(
      ['body', `existing_${side}_id`],
      `give existing_${side}_id or ${side}_name, ${side}_type and ${side}_config`,
      'value_error.missing',
    );
  if (choice.name == null) return refuse(['body', `${side}_name`], 'field required', 'value_error.missing');
  const type = choice.type;
  if (!ConnectorType.is(type) || connectorRole[type] !== side) {
    const permitted = typesOfRole(side);
    return refuse(['body', `${side}_type`], `unexpected value; permitted: ${permitted.join(', ')}`, 'type_error.enum');
  }
  const connectorId = await createConnector(deps, context, { teamId, type, name: choice.name, config: choice.config }, [
    'body',
    `${side}_config`,
  ]);
  return { connectorId, created: true, edited: false };
}
