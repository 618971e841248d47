import type { NewPipeline } from '../../api/pipelines';
import type { Cast, MapperEntry, TargetType } from '../../api/types';
import { CONFIG_FIELDS, configOf, initialValues } from './connectorForms';

/** One side of the pipeline: an existing connector, or a new one to create with the pipeline. */
export interface ConnectorChoice<T extends string> {
  readonly mode: 'existing' | 'new';
  readonly existingId: string;
  readonly name: string;
  readonly type: T;
  readonly values: Readonly<Record<string, string>>;
}

export interface MapperRow {
  readonly key: string;
  readonly path: string;
  readonly cast: Cast;
  readonly castFormat: string;
  readonly primaryKey: boolean;
  readonly nullable: boolean;
}

export interface WizardDraft {
  readonly source: ConnectorChoice<'KAFKA_SOURCE'>;
  readonly target: ConnectorChoice<TargetType>;
  readonly table: string;
  readonly mapper: readonly MapperRow[];
  /** Sample messages for the mapper's preview, one JSON value per line (fetched, or typed). */
  readonly samples: string;
  readonly name: string;
  readonly backfill: boolean;
  readonly errorTable: boolean;
  readonly errorTableName: string;
}

export const INITIAL_DRAFT: WizardDraft = {
  source: { mode: 'new', existingId: '', name: '', type: 'KAFKA_SOURCE', values: initialValues(CONFIG_FIELDS.KAFKA_SOURCE) },
  target: { mode: 'new', existingId: '', name: '', type: 'POSTGRES_TARGET', values: initialValues(CONFIG_FIELDS.POSTGRES_TARGET) },
  table: '',
  mapper: [],
  samples: '',
  name: '',
  backfill: true,
  errorTable: true,
  errorTableName: '',
};

export const emptyRow = (): MapperRow => ({ key: '', path: '$.', cast: 'string', castFormat: '', primaryKey: false, nullable: true });

export const mapperEntriesOf = (rows: readonly MapperRow[]): MapperEntry[] =>
  rows.map((row) => ({
    key: row.key.trim(),
    path: row.path.trim(),
    cast: row.cast,
    ...(row.castFormat.trim() === '' ? {} : { cast_format: row.castFormat.trim() }),
    primary_key: row.primaryKey,
    nullable: row.nullable,
  }));

export const sourceConfigOf = (draft: WizardDraft): Record<string, string> => configOf(CONFIG_FIELDS.KAFKA_SOURCE, draft.source.values);

export const targetConfigOf = (draft: WizardDraft): Record<string, string> =>
  configOf(CONFIG_FIELDS[draft.target.type], draft.target.values);

/** The error table's name as typed, else the table's name with `_errors`. */
export const errorTableNameOf = (draft: WizardDraft): string => draft.errorTableName.trim() || `${draft.table.trim()}_errors`;

/** The create request of the contract's flattened form. */
export function newPipelineOf(draft: WizardDraft, teamId: string): NewPipeline {
  const source =
    draft.source.mode === 'existing'
      ? { existing_source_id: draft.source.existingId }
      : { source_name: draft.source.name.trim(), source_type: draft.source.type, source_config: sourceConfigOf(draft) };
  const target =
    draft.target.mode === 'existing'
      ? { existing_target_id: draft.target.existingId }
      : { target_name: draft.target.name.trim(), target_type: draft.target.type, target_config: targetConfigOf(draft) };
  return {
    name: draft.name.trim(),
    team_id: teamId,
    ...source,
    ...target,
    subscription_target_table_name: draft.table.trim(),
    subscription_backfill: draft.backfill,
    subscription_mapper_config: mapperEntriesOf(draft.mapper),
    subscription_error_table_enabled: draft.errorTable,
    ...(draft.errorTable ? { subscription_error_table_name: errorTableNameOf(draft) } : {}),
  };
}

/** The messages of the samples text: one per non-blank line, as the text the topic holds. */
export const sampleMessagesOf = (samples: string): string[] =>
  samples
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');

const castOf = (value: unknown): Cast =>
  typeof value === 'boolean' ? 'bool' : typeof value === 'number' ? (Number.isInteger(value) ? 'int' : 'float') : 'string';

const pathPart = (name: string): string => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `.${name}` : `['${name.replaceAll("'", "\\'")}']`);

/**
 * Mapper rows for the fields of a sample JSON object: its scalar values, and those one level
 * down (`meta.source` becomes `meta_source`), cast by the JSON type they hold. `id`, when there,
 * is the primary key. A starting point to edit, not a schema inference.
 */
export function rowsFromSample(sample: string): MapperRow[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(sample);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const rows: MapperRow[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [inner, innerValue] of Object.entries(value)) {
        if (typeof innerValue === 'object' && innerValue !== null) continue;
        rows.push({ ...emptyRow(), key: `${name}_${inner}`, path: `$${pathPart(name)}${pathPart(inner)}`, cast: castOf(innerValue) });
      }
    } else if (!Array.isArray(value)) {
      const isId = name === 'id';
      rows.push({ ...emptyRow(), key: name, path: `$${pathPart(name)}`, cast: castOf(value), primaryKey: isId, nullable: !isId });
    }
  }
  return rows;
}

export type WizardStep = 'source' | 'target' | 'mapper' | 'review';
export const STEPS: readonly { readonly id: WizardStep; readonly label: string }[] = [
  { id: 'source', label: 'Source' },
  { id: 'target', label: 'Target' },
  { id: 'mapper', label: 'Mapper' },
  { id: 'review', label: 'Review and create' },
];

/** The step whose form holds a field of the create request, to lead the user to an API message. */
export function stepOfField(path: string): WizardStep {
  if (path.startsWith('source_') || path.startsWith('existing_source_id')) return 'source';
  if (path.startsWith('target_') || path.startsWith('existing_target_id') || path.startsWith('subscription_target_table_name'))
    return 'target';
  if (path.startsWith('subscription_mapper_config')) return 'mapper';
  return 'review';
}
