import type { FieldErrors } from '../../api/fieldErrors';
import { CheckboxField, TextField } from '../../components/Field';
import { errorTableNameOf, type WizardDraft } from './wizardDraft';

export function ReviewStep({
  draft,
  update,
  errors,
}: {
  readonly draft: WizardDraft;
  update(change: Partial<WizardDraft>): void;
  readonly errors: FieldErrors;
}) {
  const source =
    draft.source.mode === 'existing'
      ? 'an existing connector'
      : `${draft.source.name || '(unnamed)'} on topic ${draft.source.values['topic'] || '(none)'}`;
  const target = draft.target.mode === 'existing' ? 'an existing connector' : `${draft.target.name || '(unnamed)'}, ${draft.target.type}`;
  return (
    <section aria-labelledby="review-title">
      <h2 id="review-title" tabIndex={-1}>
        Review and create
      </h2>
      <dl className="summary">
        <dt>Source</dt>
        <dd>{source}</dd>
        <dt>Target</dt>
        <dd>{target}</dd>
        <dt>Table</dt>
        <dd>{draft.table || '(none)'}</dd>
        <dt>Columns</dt>
        <dd>{draft.mapper.length === 0 ? '(none)' : draft.mapper.map((row) => row.key).join(', ')}</dd>
      </dl>
      <TextField
        label="Pipeline name"
        value={draft.name}
        onChange={(name) => update({ name })}
        error={errors['name']}
        hint="Letters, digits, - and _ only."
      />
      <CheckboxField
        label="Backfill: read the topic from its first message"
        checked={draft.backfill}
        onChange={(backfill) => update({ backfill })}
        error={errors['subscription_backfill']}
      />
      <CheckboxField
        label="Keep the messages that fail in an error table"
        checked={draft.errorTable}
        onChange={(errorTable) => update({ errorTable })}
        error={errors['subscription_error_table_enabled']}
      />
      {draft.errorTable ? (
        <TextField
          label="Error table name"
          value={draft.errorTableName}
          onChange={(errorTableName) => update({ errorTableName })}
          error={errors['subscription_error_table_name']}
          hint={`Left empty: ${errorTableNameOf(draft)}.`}
        />
      ) : null}
    </section>
  );
}
