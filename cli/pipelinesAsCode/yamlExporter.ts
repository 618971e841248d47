import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { secretFieldsOf } from '../../domain/connector/connectorConfig';
import { apiClient } from '../apiClient';
import { CliFailure, emit, EXIT, type CliContext } from '../context';
import {
  FILE_FORMAT,
  type ConnectorSpec,
  type DatamodelSpec,
  type PipelineSpec,
  type PopsinkFile,
  type SubscriptionSpec,
} from './fileSchema';
import { readInstallation, type ActualConnector, type ActualSubscription, type Installation } from './installationReader';

/**
 * An installation as a pipelines-as-code file that `popsink apply` takes back: everything by
 * name, nothing installation-specific (ids, generated consumer groups), and each secret as an
 * `${env:NAME}` placeholder, since the API never answers one (and a file must not hold one).
 */

/** A field the installation has no value for is left out: applied back, it is not managed. */
const present = <T extends object>(fields: T): { [K in keyof T]: Exclude<T[K], null> } =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== null && value !== undefined)) as {
    [K in keyof T]: Exclude<T[K], null>;
  };

const variablePart = (text: string): string =>
  text
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');

/**
 * The variable of each connector's secret: `<CONNECTOR>_<FIELD>`, qualified by team, then by
 * environment, only where that is needed to tell two connectors apart.
 */
function secretVariables(connectors: readonly ActualConnector[]): Map<ActualConnector, string> {
  const variables = new Map<ActualConnector, string>();
  const qualified = [
    (c: ActualConnector) => [c.name],
    (c: ActualConnector) => [c.team, c.name],
    (c: ActualConnector) => [c.environment, c.team, c.name],
  ];
  for (const connector of connectors) {
    const clash = (parts: (c: ActualConnector) => string[]) =>
      connectors.some((other) => other !== connector && variablePart(parts(other).join('_')) === variablePart(parts(connector).join('_')));
    const parts = qualified.find((candidate) => !clash(candidate)) ?? qualified[qualified.length - 1];
    variables.set(connector, variablePart((parts?.(connector) ?? [connector.name]).join('_')));
  }
  return variables;
}

/** A consumer group the API generated (`popsink-<subscription id>`) belongs to that installation only. */
const generatedConsumer = (subscription: ActualSubscription): boolean => subscription.consumer_id === `popsink-${subscription.id}`;

function subscriptionSpec(subscription: ActualSubscription & { target_table_name: string }): SubscriptionSpec {
  const { id: _id, consumer_id: consumerId, ...fields } = subscription;
  return {
    ...present(fields),
    mapper_config: [...subscription.mapper_config],
    ...(consumerId === null || generatedConsumer(subscription) ? {} : { consumer_id: consumerId }),
  };
}

/** The file's text, the variables its secrets need, and what a file cannot say (skipped). */
export function exportYaml(installation: Installation): { text: string; variables: string[]; skipped: string[] } {
  const variables = secretVariables(installation.connectors);
  const needed: string[] = [];
  const connectors = installation.connectors.map((connector): ConnectorSpec => {
    const secrets = secretFieldsOf(connector.type, connector.config);
    const config = Object.fromEntries(
      Object.entries(connector.config).flatMap(([field, value]): [string, string | number | boolean | null][] => {
        if (secrets.includes(field) && value !== null && value !== '') {
          const name = `${variables.get(connector) ?? variablePart(connector.name)}_${variablePart(field)}`;
          needed.push(name);
          return [[field, `\${env:${name}}`]];
        }
        return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null
          ? [[field, value]]
          : [];
      }),
    );
    return { name: connector.name, environment: connector.environment, team: connector.team, type: connector.type, config };
  });

  const skipped: string[] = [];
  const pipelines = installation.pipelines.flatMap((pipeline): PipelineSpec[] => {
    const name = `${pipeline.environment}/${pipeline.team}/${pipeline.name}`;
    // A file knows a subscription by its target table; one without cannot be written.
    const subscriptions = pipeline.subscriptions.flatMap((subscription) =>
      subscription.target_table_name === null
        ? []
        : [subscriptionSpec({ ...subscription, target_table_name: subscription.target_table_name })],
    );
    if (subscriptions.length < pipeline.subscriptions.length) skipped.push(`${name}: a subscription without a target table`);
    if (pipeline.source === null || pipeline.target === null || subscriptions.length === 0) {
      skipped.push(`${name}: no source, target or subscription a file can name`);
      return [];
    }
    const datamodel: DatamodelSpec = present(pipeline.datamodel);
    return [
      {
        name: pipeline.name,
        environment: pipeline.environment,
        team: pipeline.team,
        source: pipeline.source,
        target: pipeline.target,
        ...(Object.keys(datamodel).length > 0 ? { datamodel } : {}),
        subscriptions,
      },
    ];
  });

  const file: PopsinkFile = {
    format: FILE_FORMAT,
    environments: installation.environments.map(({ id: _id, ...env }) => present(env)),
    teams: installation.teams.map((team) => ({
      name: team.name,
      environment: team.environment,
      ...present({ description: team.description }),
      members: team.members.map(({ email, role }) => ({ email, role })),
    })),
    connectors,
    pipelines,
  };
  const header = [
    `# Popsink pipelines as code (${FILE_FORMAT}), exported from the installation: \`popsink plan -f FILE\` / \`popsink apply -f FILE\`.`,
    ...(needed.length === 0 ? [] : [`# Secrets come from these environment variables: ${needed.join(', ')}`]),
  ];
  return { text: `${header.join('\n')}\n${stringify(file, { lineWidth: 0 })}`, variables: needed, skipped };
}

/** `popsink export --format yaml`: the file on stdout, or into `out`; what a file cannot say is warned about on stderr. */
export async function exportYamlFile(
  ctx: CliContext,
  options: {
    readonly server?: string | undefined;
    readonly out?: string | undefined;
    readonly json?: boolean | undefined;
    readonly usage: string;
  },
): Promise<number> {
  const { text, variables, skipped } = exportYaml(await readInstallation(apiClient(ctx, { server: options.server, usage: options.usage })));
  for (const reason of skipped) ctx.warn(`popsink export: skipped ${reason}\n`);
  const { out } = options;
  if (out === undefined) {
    ctx.write(text);
    return EXIT.ok;
  }
  try {
    writeFileSync(out, text);
  } catch (error) {
    throw new CliFailure(EXIT.failure, `cannot write ${out}: ${error instanceof Error ? error.message : String(error)}`);
  }
  emit(
    ctx,
    options.json,
    { out, format: 'yaml', variables, skipped },
    `exported to ${out}${variables.length === 0 ? '' : `; set ${variables.join(', ')} before applying it`}`,
  );
  return EXIT.ok;
}
