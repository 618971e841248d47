import { useState } from 'react';
import { checkTarget, listTargets } from '../../api/connectors';
import { fieldErrorsOf, type FieldErrors } from '../../api/fieldErrors';
import type { ConnectorConfig, TargetType } from '../../api/types';
import { ErrorNotice } from '../../components/ErrorNotice';
import { SelectField, TextField } from '../../components/Field';
import { useLoad } from '../../useLoad';
import { CheckOutcome, type Outcome } from './CheckOutcome';
import { ConfigFields } from './ConfigFields';
import { ConnectorModeChoice } from './ConnectorModeChoice';
import { CONFIG_FIELDS, initialValues } from './connectorForms';
import { targetConfigOf, type WizardDraft } from './wizardDraft';

const TARGET_TYPES: readonly { value: TargetType; label: string }[] = [
  { value: 'POSTGRES_TARGET', label: 'PostgreSQL' },
  { value: 'ORACLE_TARGET', label: 'Oracle' },
  { value: 'KAFKA_TARGET', label: 'Kafka' },
];

export function TargetStep({
  draft,
  update,
  errors,
  teamId,
}: {
  readonly draft: WizardDraft;
  update(change: Partial<WizardDraft>): void;
  readonly errors: FieldErrors;
  readonly teamId: string;
}) {
  const targets = useLoad(() => listTargets(teamId), [teamId]);
  const [outcome, setOutcome] = useState<Outcome>();
  const [busy, setBusy] = useState(false);
  const target = draft.target;
  const existing = targets.data?.find((connector) => connector.id === target.existingId);
  const type: TargetType | undefined =
    target.mode === 'new'
      ? target.type
      : existing?.connector_type === 'KAFKA_SOURCE' || existing?.connector_type === 'JOB_SMT'
        ? undefined
        : existing?.connector_type;
  const config: ConnectorConfig | undefined = target.mode === 'new' ? targetConfigOf(draft) : existing?.config;
  const checkErrors: FieldErrors = outcome !== undefined && 'error' in outcome ? fieldErrorsOf(outcome.error, 'target_config') : {};

  const check = () => {
    if (type === undefined || config === undefined) return;
    setBusy(true);
    setOutcome(undefined);
    checkTarget(type, config)
      .then(
        () => setOutcome({ ok: 'The target answered: the credentials work.' }),
        (error: unknown) => setOutcome({ error }),
      )
      .finally(() => setBusy(false));
  };

  const chooseType = (chosen: TargetType) => update({ target: { ...target, type: chosen, values: initialValues(CONFIG_FIELDS[chosen]) } });

  return (
    <section aria-labelledby="target-title">
      <h2 id="target-title" tabIndex={-1}>
        Target
      </h2>
      <ConnectorModeChoice legend="Write to" mode={target.mode} onChange={(mode) => update({ target: { ...target, mode } })} />
      {target.mode === 'existing' ? (
        <>
          <ErrorNotice error={targets.error} />
          <SelectField
            label="Target connector"
            value={target.existingId}
            onChange={(existingId) => update({ target: { ...target, existingId } })}
            options={[
              { value: '', label: 'Choose a connector' },
              ...(targets.data ?? []).map((connector) => ({
                value: connector.id,
                label: `${connector.name} (${connector.connector_type})`,
              })),
            ]}
            error={errors['existing_target_id']}
          />
        </>
      ) : (
        <>
          <SelectField label="Target type" value={target.type} onChange={chooseType} options={TARGET_TYPES} error={errors['target_type']} />
          <TextField
            label="Connector name"
            value={target.name}
            onChange={(name) => update({ target: { ...target, name } })}
            error={errors['target_name']}
          />
          <ConfigFields
            fields={CONFIG_FIELDS[target.type]}
            values={target.values}
            onChange={(values) => update({ target: { ...target, values } })}
            errors={{ ...errors, ...checkErrors }}
            prefix="target_config"
          />
        </>
      )}
      <div className="actions">
        <button type="button" className="secondary" disabled={busy || type === undefined || config === undefined} onClick={check}>
          Check credentials
        </button>
      </div>
      <CheckOutcome outcome={outcome} shown={Object.keys(checkErrors)} />
      <TextField
        label={type === 'KAFKA_TARGET' ? 'Target topic' : 'Target table'}
        value={draft.table}
        onChange={(table) => update({ table })}
        error={errors['subscription_target_table_name']}
        hint="Created when missing, from the mapper's columns."
      />
    </section>
  );
}
