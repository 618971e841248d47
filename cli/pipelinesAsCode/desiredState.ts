import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { secretFieldsOf, validateConnectorConfig } from '../../domain/connector/connectorConfig';
import type { DomainError } from '../../domain/errors';
import { validateMapperConfig, type MapperEntry } from '../../domain/mapper/mapperSpec';
import { validatePipelineName } from '../../domain/pipeline/pipeline';
import { CliFailure, EXIT } from '../context';
import { inTeamKey, teamKey } from './installationReader';
import {
  decodeFile,
  pathText,
  problemText,
  type ConnectorSpec,
  type EnvironmentSpec,
  type FileProblem,
  type PipelineSpec,
  type PopsinkFile,
  type SubscriptionSpec,
  type TeamSpec,
} from './fileSchema';

/**
 * The installation the files ask for: every file read and checked, environment variables
 * substituted, connector configs and mappers normalised by the same domain rules the API applies
 * (so that what the API would store compares equal to it), all before any API call.
 */

/** A thing a file declares, and where (for messages). */
export interface Declared<T> {
  readonly spec: T;
  readonly file: string;
  /** e.g. `pipelines[2]` */
  readonly path: string;
}

export const originOf = (declared: Declared<unknown>): string => `${declared.file}: ${declared.path}`;

/** Its config normalised for its type, secrets resolved from the environment. */
export type DesiredConnector = Omit<ConnectorSpec, 'config'> & { readonly config: Record<string, unknown> };
export type DesiredSubscription = Omit<SubscriptionSpec, 'mapper_config'> & { readonly mapper_config: readonly MapperEntry[] };
export type DesiredPipeline = Omit<PipelineSpec, 'subscriptions'> & { readonly subscriptions: readonly DesiredSubscription[] };

export interface DesiredState {
  readonly environments: readonly Declared<EnvironmentSpec>[];
  readonly teams: readonly Declared<TeamSpec>[];
  readonly connectors: readonly Declared<DesiredConnector>[];
  readonly pipelines: readonly Declared<DesiredPipeline>[];
}

const PLACEHOLDER = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;
const WHOLE_PLACEHOLDER = /^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$/;

/** The YAML files of `-f` arguments: a directory stands for its *.yaml / *.yml files, in name order. */
function filesOf(paths: readonly string[]): { files: string[]; problems: FileProblem[] } {
  const files: string[] = [];
  const problems: FileProblem[] = [];
  for (const path of paths) {
    try {
      if (!statSync(path).isDirectory()) files.push(path);
      else
        files.push(
          ...readdirSync(path)
            .filter((name) => /\.ya?ml$/.test(name))
            .sort()
            .map((name) => join(path, name)),
        );
    } catch (error) {
      problems.push({ file: path, path: '', problem: `cannot read: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
  return { files, problems };
}

/** Every string of a value with its `${env:NAME}` placeholders replaced; an unset variable is a problem at its path. */
function substitute(
  value: unknown,
  at: (string | number)[],
  env: Readonly<Record<string, string | undefined>>,
  problem: (at: (string | number)[], text: string) => void,
): unknown {
  if (typeof value === 'string') {
    return value.replace(PLACEHOLDER, (whole, name: string) => {
      const given = env[name];
      if (given === undefined) problem(at, `environment variable ${name} is not set`);
      return given ?? whole;
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => substitute(item, [...at, index], env, problem));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, [...at, key], env, problem)]));
  }
  return value;
}

/** One file's declarations, checked and normalised; problems are pushed. */
function declarationsOf(
  fileName: string,
  file: PopsinkFile,
  env: Readonly<Record<string, string | undefined>>,
  problems: FileProblem[],
): DesiredState {
  const problem = (at: readonly (string | number)[], text: string) => problems.push({ file: fileName, path: pathText(at), problem: text });
  const domainProblem = (prefix: readonly (string | number)[], error: DomainError) =>
    problem([...prefix, ...(error.loc ?? [])], error.message ?? error.code);
  const where = (at: readonly (string | number)[]) => ({ file: fileName, path: pathText(at) });

  // Secrets are checked before substitution: a file must not hold one in clear.
  (file.connectors ?? []).forEach((connector, index) => {
    for (const field of secretFieldsOf(connector.type, connector.config)) {
      const value = connector.config[field];
      if (value !== null && value !== undefined && !(typeof value === 'string' && WHOLE_PLACEHOLDER.test(value))) {
        problem(['connectors', index, 'config', field], 'a secret comes from an environment variable: write ${env:NAME}');
      }
    }
  });
  // Substitution replaces strings by strings: the decoded shape holds.
  const resolved = substitute(file, [], env, problem) as PopsinkFile;

  const connectors = (resolved.connectors ?? []).flatMap((connector, index): Declared<DesiredConnector>[] => {
    const config = validateConnectorConfig(connector.type, connector.config, []);
    if (isLeft(config)) {
      domainProblem(['connectors', index, 'config'], config.left);
      return [];
    }
    return [{ spec: { ...connector, config: { ...config.right } }, ...where(['connectors', index]) }];
  });

  const pipelines = (resolved.pipelines ?? []).flatMap((pipeline, index): Declared<DesiredPipeline>[] => {
    const at = ['pipelines', index];
    const badName = validatePipelineName(pipeline.name);
    if (badName !== undefined) problem([...at, 'name'], badName.message ?? badName.code);
    if (pipeline.subscriptions.length === 0) problem([...at, 'subscriptions'], 'a pipeline has at least one subscription');
    const tables = new Set<string>();
    const subscriptions = pipeline.subscriptions.flatMap((subscription, position): DesiredSubscription[] => {
      const here = [...at, 'subscriptions', position];
      if (tables.has(subscription.target_table_name))
        problem(
          [...here, 'target_table_name'],
          `a second subscription into ${subscription.target_table_name}: a subscription is known by its target table`,
        );
      tables.add(subscription.target_table_name);
      const mapper = validateMapperConfig(subscription.mapper_config, []);
      if (isLeft(mapper)) {
        for (const error of mapper.left) domainProblem([...here, 'mapper_config'], error);
        return [];
      }
      return [{ ...subscription, mapper_config: mapper.right }];
    });
    return subscriptions.length === pipeline.subscriptions.length && badName === undefined
      ? [{ spec: { ...pipeline, subscriptions }, ...where(at) }]
      : [];
  });

  (resolved.teams ?? []).forEach((team, index) => {
    const emails = (team.members ?? []).map((member) => member.email.toLowerCase());
    const twice = emails.find((email, position) => emails.indexOf(email) !== position);
    if (twice !== undefined) problem(['teams', index, 'members'], `${twice} is listed twice`);
  });

  return {
    environments: (resolved.environments ?? []).map((spec, index) => ({ spec, ...where(['environments', index]) })),
    teams: (resolved.teams ?? []).map((spec, index) => ({ spec, ...where(['teams', index]) })),
    connectors,
    pipelines,
  };
}

/** Problems for names declared twice (in one file or across files). */
function duplicates<T>(kind: string, declared: readonly Declared<T>[], keyOf: (spec: T) => string): FileProblem[] {
  const first = new Map<string, string>();
  return declared.flatMap((item) => {
    const key = keyOf(item.spec);
    const earlier = first.get(key);
    if (earlier === undefined) {
      first.set(key, originOf(item));
      return [];
    }
    return [{ file: item.file, path: item.path, problem: `${kind} ${key} is declared twice (first at ${earlier})` }];
  });
}

/** Reads and checks the files; throws a CliFailure listing every problem (file, path, what) when any. */
export function readDesiredState(paths: readonly string[], env: Readonly<Record<string, string | undefined>>): DesiredState {
  const { files, problems } = filesOf(paths);
  const states = files.flatMap((fileName): DesiredState[] => {
    let text: string;
    try {
      text = readFileSync(fileName, 'utf8');
    } catch (error) {
      problems.push({ file: fileName, path: '', problem: `cannot read: ${error instanceof Error ? error.message : String(error)}` });
      return [];
    }
    const decoded = decodeFile(fileName, text);
    if ('problems' in decoded) {
      problems.push(...decoded.problems);
      return [];
    }
    return [declarationsOf(fileName, decoded.file, env, problems)];
  });
  const state: DesiredState = {
    environments: states.flatMap((s) => s.environments),
    teams: states.flatMap((s) => s.teams),
    connectors: states.flatMap((s) => s.connectors),
    pipelines: states.flatMap((s) => s.pipelines),
  };
  problems.push(
    ...duplicates('environment', state.environments, (spec) => spec.name),
    ...duplicates('team', state.teams, (spec) => teamKey(spec.environment, spec.name)),
    ...duplicates('connector', state.connectors, (spec) => inTeamKey(spec.environment, spec.team, spec.name)),
    ...duplicates('pipeline', state.pipelines, (spec) => inTeamKey(spec.environment, spec.team, spec.name)),
  );
  if (files.length === 0 && problems.length === 0) throw new CliFailure(EXIT.usage, `no YAML file in ${paths.join(', ')}`);
  if (problems.length > 0)
    throw new CliFailure(EXIT.failure, `the files were refused before any API call:\n${problems.map(problemText).join('\n')}`);
  return state;
}
