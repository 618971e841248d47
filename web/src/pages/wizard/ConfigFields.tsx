import type { FieldErrors } from '../../api/fieldErrors';
import { SelectField, TextField } from '../../components/Field';
import type { ConfigField } from './connectorForms';

/** A connector config's fields; each shows the API's message at `<prefix>.<field>`. */
export function ConfigFields({
  fields,
  values,
  onChange,
  errors,
  prefix,
  topicsList,
}: {
  readonly fields: readonly ConfigField[];
  readonly values: Readonly<Record<string, string>>;
  onChange(values: Record<string, string>): void;
  readonly errors: FieldErrors;
  readonly prefix: string;
  /** The id of a datalist of known topics, offered in the topic field. */
  readonly topicsList?: string;
}) {
  const set = (name: string) => (value: string) => onChange({ ...values, [name]: value });
  return (
    <div className="field-grid">
      {fields
        .filter((field) => field.when === undefined || field.when(values))
        .map((field) =>
          field.options === undefined ? (
            <TextField
              key={field.name}
              label={field.label}
              type={field.secret === true ? 'password' : 'text'}
              autoComplete={field.secret === true ? 'new-password' : 'off'}
              value={values[field.name] ?? ''}
              onChange={set(field.name)}
              error={errors[`${prefix}.${field.name}`]}
              hint={field.hint}
              {...(field.name === 'topic' && topicsList !== undefined ? { list: topicsList } : {})}
            />
          ) : (
            <SelectField
              key={field.name}
              label={field.label}
              value={values[field.name] ?? field.options[0] ?? ''}
              onChange={set(field.name)}
              options={field.options.map((option) => ({ value: option, label: option }))}
              error={errors[`${prefix}.${field.name}`]}
              hint={field.hint}
            />
          ),
        )}
    </div>
  );
}
