import { fieldErrorsOf, type FieldErrors } from '../../api/fieldErrors';
import { CASTS } from '../../api/types';
import { CheckboxField, SelectField, TextAreaField, TextField } from '../../components/Field';
import { MapperPreview } from './MapperPreview';
import { useMapperPreview } from './useMapperPreview';
import { emptyRow, mapperEntriesOf, rowsFromSample, sampleMessagesOf, type MapperRow, type WizardDraft } from './wizardDraft';

const CAST_OPTIONS = CASTS.map((cast) => ({ value: cast, label: cast }));

function MapperRowFields({
  row,
  index,
  change,
  remove,
  errorOf,
}: {
  readonly row: MapperRow;
  readonly index: number;
  change(row: MapperRow): void;
  remove(): void;
  errorOf(field: string): string | undefined;
}) {
  return (
    <fieldset className="mapper-row">
      <legend>Column {index + 1}</legend>
      <TextField label="Column name" value={row.key} onChange={(key) => change({ ...row, key })} error={errorOf('key')} />
      <TextField label="JSONPath" value={row.path} onChange={(path) => change({ ...row, path })} error={errorOf('path')} />
      <SelectField
        label="Cast"
        value={row.cast}
        onChange={(cast) => change({ ...row, cast })}
        options={CAST_OPTIONS}
        error={errorOf('cast')}
      />
      <TextField
        label="Cast format"
        value={row.castFormat}
        onChange={(castFormat) => change({ ...row, castFormat })}
        error={errorOf('cast_format')}
        hint="e.g. %Y-%m-%d"
      />
      <CheckboxField
        label="Primary key"
        checked={row.primaryKey}
        onChange={(primaryKey) => change({ ...row, primaryKey, nullable: primaryKey ? false : row.nullable })}
        error={errorOf('primary_key')}
      />
      <CheckboxField
        label="Nullable"
        checked={row.nullable}
        onChange={(nullable) => change({ ...row, nullable })}
        error={errorOf('nullable')}
      />
      <button type="button" className="secondary" onClick={remove}>
        Remove column {index + 1}
      </button>
    </fieldset>
  );
}

/**
 * The mapper editor: one entry per target column, tried live on the sample messages with the
 * workers' own engine. A field's message comes from the preview (`config.<i>.<field>`) or from
 * a refused create (`subscription_mapper_config.<i>.<field>`).
 */
export function MapperStep({
  draft,
  update,
  errors,
}: {
  readonly draft: WizardDraft;
  update(change: Partial<WizardDraft>): void;
  readonly errors: FieldErrors;
}) {
  const rows = draft.mapper;
  const setRows = (mapper: readonly MapperRow[]) => update({ mapper });
  const messages = sampleMessagesOf(draft.samples);
  const firstSample = messages[0];
  const entries = mapperEntriesOf(rows);
  const preview = useMapperPreview(entries, messages);
  const previewErrors = preview !== undefined && 'error' in preview ? fieldErrorsOf(preview.error) : {};
  const fillFromSample = () => {
    const suggested = firstSample === undefined ? undefined : rowsFromSample(firstSample);
    if (suggested !== undefined) setRows(suggested);
  };

  return (
    <section aria-labelledby="mapper-title">
      <h2 id="mapper-title" tabIndex={-1}>
        Mapper
      </h2>
      <TextAreaField
        label="Sample messages"
        value={draft.samples}
        onChange={(samples) => update({ samples })}
        rows={4}
        hint="One JSON message per line: fetched from the topic in the source step, or typed here."
      />
      <div className="actions">
        <button type="button" className="secondary" disabled={firstSample === undefined} onClick={fillFromSample}>
          Suggest columns from the first sample
        </button>
        <button type="button" className="secondary" onClick={() => setRows([...rows, emptyRow()])}>
          Add a column
        </button>
      </div>
      {rows.length === 0 ? <p>No column yet: add one, or let the first sample suggest them.</p> : null}
      {rows.map((row, index) => (
        <MapperRowFields
          key={index}
          row={row}
          index={index}
          change={(changed) => setRows(rows.map((current, at) => (at === index ? changed : current)))}
          remove={() => setRows(rows.filter((_, at) => at !== index))}
          errorOf={(field) => errors[`subscription_mapper_config.${index}.${field}`] ?? previewErrors[`config.${index}.${field}`]}
        />
      ))}
      <MapperPreview preview={preview} keys={entries.map((entry) => entry.key)} />
    </section>
  );
}
