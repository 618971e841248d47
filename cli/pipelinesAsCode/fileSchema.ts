import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { LineCounter, parseDocument } from 'yaml';
import { RetentionConfiguration } from '../../domain/env/env';
import { MapperEntryInput } from '../../domain/mapper/mapperSpec';
import { issuesOf } from '../../domain/validationIssue';
import fileJsonSchema from './popsink.schema.json' with { type: 'json' };

/**
 * The pipelines-as-code file: environments, teams (with members), connectors and pipelines (with
 * subscriptions), each named by name, never by id. These codecs are the one description of the
 * file: the JSON Schema shipped beside them (popsink.schema.json) is generated from them by
 * scripts/pipelinesAsCodeSchema.ts (a test fails when it is stale), and every file is checked
 * against that schema before it is decoded with them.
 *
 * A field left out is not managed (the installation keeps what it has); `null` clears it.
 */

export const FILE_FORMAT = 'popsink/v1';

const Nullable = <C extends t.Mixed>(codec: C) => t.union([codec, t.null]);
/** An object codec of required and optional fields. */
const fields = <R extends t.Props, O extends t.Props>(required: R, optional: O) =>
  t.exact(t.intersection([t.type(required), t.partial(optional)]));

export const EnvironmentSpec = fields(
  { name: t.string },
  { description: Nullable(t.string), use_retention: t.boolean, retention_configuration: Nullable(RetentionConfiguration) },
);
export type EnvironmentSpec = t.TypeOf<typeof EnvironmentSpec>;

export const TeamRole = t.keyof({ owner: null, member: null });
export type TeamRole = t.TypeOf<typeof TeamRole>;
export const MemberSpec = fields({ email: t.string }, { role: TeamRole });
export type MemberSpec = t.TypeOf<typeof MemberSpec>;

/** `members` absent: membership is not managed; given: it is the whole list (with --prune, others leave). */
export const TeamSpec = fields(
  { name: t.string, environment: t.string },
  { description: Nullable(t.string), members: t.array(MemberSpec) },
);
export type TeamSpec = t.TypeOf<typeof TeamSpec>;

/** The connector types a pipeline can use (a JOB_SMT transform is not listed by the API, so not managed here). */
export const FileConnectorType = t.keyof({ KAFKA_SOURCE: null, KAFKA_TARGET: null, ORACLE_TARGET: null, POSTGRES_TARGET: null });
export type FileConnectorType = t.TypeOf<typeof FileConnectorType>;

/** The type's own rules (domain/connector) check the values once environment variables are substituted. */
export const ConnectorSpec = fields(
  {
    name: t.string,
    environment: t.string,
    team: t.string,
    type: FileConnectorType,
    config: t.record(t.string, Nullable(t.union([t.string, t.number, t.boolean]))),
  },
  {},
);
export type ConnectorSpec = t.TypeOf<typeof ConnectorSpec>;

/** An error table; its target is a target connector of the pipeline's team, by name (absent: the pipeline's target). */
const errorTableFields = {
  error_table_enabled: Nullable(t.boolean),
  error_table_name: Nullable(t.string),
  error_table_target: Nullable(t.string),
};

export const DatamodelSpec = fields({}, { source_topic: Nullable(t.string), target_topic: Nullable(t.string), ...errorTableFields });
export type DatamodelSpec = t.TypeOf<typeof DatamodelSpec>;

/** A subscription is known by its target table (or topic) within its pipeline. */
export const SubscriptionSpec = fields(
  { target_table_name: t.string, mapper_config: t.array(MapperEntryInput) },
  {
    backfill: t.boolean,
    consumer_id: t.string,
    exactly_once: Nullable(t.boolean),
    envelope: t.keyof({ none: null, debezium: null }),
    delete_on_tombstone: Nullable(t.boolean),
    schema_evolution: t.keyof({ add_columns: null, none: null }),
    error_tolerance: Nullable(t.number),
    error_tolerance_window: Nullable(t.number),
    ...errorTableFields,
  },
);
export type SubscriptionSpec = t.TypeOf<typeof SubscriptionSpec>;

export const PipelineSpec = fields(
  { name: t.string, environment: t.string, team: t.string, source: t.string, target: t.string, subscriptions: t.array(SubscriptionSpec) },
  { datamodel: DatamodelSpec },
);
export type PipelineSpec = t.TypeOf<typeof PipelineSpec>;

export const PopsinkFile = fields(
  { format: t.literal(FILE_FORMAT) },
  {
    environments: t.array(EnvironmentSpec),
    teams: t.array(TeamSpec),
    connectors: t.array(ConnectorSpec),
    pipelines: t.array(PipelineSpec),
  },
);
export type PopsinkFile = t.TypeOf<typeof PopsinkFile>;

export { fileJsonSchema };

/** One problem of a file, located for people: file, line (when known) and field path. */
export interface FileProblem {
  readonly file: string;
  readonly line?: number | undefined;
  readonly path: string;
  readonly problem: string;
}

export const problemText = (problem: FileProblem): string =>
  `${problem.file}${problem.line === undefined ? '' : `:${problem.line}`}: ${problem.path === '' ? '(file)' : problem.path}: ${problem.problem}`;

/** `pipelines[0].subscriptions[1].mapper_config` */
export const pathText = (segments: readonly (string | number)[]): string =>
  segments.map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : index === 0 ? segment : `.${segment}`)).join('');

// Compiled on first use: the script that regenerates the schema file imports these codecs too.
let compiled: ValidateFunction | undefined;
const validator = (): ValidateFunction =>
  (compiled ??= new Ajv({ allErrors: true, allowUnionTypes: true, strict: true }).compile(fileJsonSchema));

const segmentsOf = (pointer: string): (string | number)[] =>
  pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((raw) => raw.replaceAll('~1', '/').replaceAll('~0', '~'))
        .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));

function ajvProblem(error: ErrorObject): { segments: (string | number)[]; problem: string } {
  const segments = segmentsOf(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return { segments: [...segments, String(params['additionalProperty'])], problem: 'unknown field' };
    case 'required':
      return { segments: [...segments, String(params['missingProperty'])], problem: 'missing field' };
    case 'enum':
      return {
        segments,
        problem: `must be one of: ${(params['allowedValues'] as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`,
      };
    case 'const':
      return { segments, problem: `must be ${JSON.stringify(params['allowedValue'])}` };
    default:
      return { segments, problem: error.message ?? error.keyword };
  }
}

/**
 * Parses and checks one file's text: YAML syntax, then the JSON Schema, then the codecs. Every
 * problem is answered at once, each with its line where the YAML has the node.
 */
export function decodeFile(file: string, text: string): { file: PopsinkFile } | { problems: FileProblem[] } {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (document.errors.length > 0) {
    return {
      problems: document.errors.map((error) => ({
        file,
        line: lineCounter.linePos(error.pos[0]).line,
        path: '',
        problem: error.message.split('\n')[0] ?? error.code,
      })),
    };
  }
  const lineOf = (segments: readonly (string | number)[]): number | undefined => {
    // The deepest node the YAML has on that path (a missing field points at its parent).
    for (let depth = segments.length; depth >= 0; depth--) {
      const node = document.getIn(segments.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
      if (node?.range !== undefined) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const value: unknown = document.toJS();
  const validate = validator();
  if (!validate(value)) {
    const seen = new Set<string>();
    return {
      problems: (validate.errors ?? []).map(ajvProblem).flatMap(({ segments, problem }) => {
        const key = `${pathText(segments)} ${problem}`;
        if (seen.has(key)) return [];
        seen.add(key);
        return [{ file, line: lineOf(segments), path: pathText(segments), problem }];
      }),
    };
  }
  const decoded = PopsinkFile.decode(value);
  if (isLeft(decoded))
    return {
      problems: issuesOf(decoded.left, []).map((issue) => ({
        file,
        line: lineOf(issue.loc),
        path: pathText(issue.loc),
        problem: issue.msg,
      })),
    };
  return { file: decoded.right };
}
