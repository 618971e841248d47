import { useId, type ReactNode } from 'react';

interface Common {
  readonly label: string;
  /** The API's message about this field, shown under it and announced with it. */
  readonly error?: string | undefined;
  readonly hint?: ReactNode;
}

/** Error and hint ids the control points at, so a screen reader reads them with the label. */
function described(id: string, error: string | undefined, hint: ReactNode): string | undefined {
  const ids = [error === undefined ? undefined : `${id}-error`, hint === undefined ? undefined : `${id}-hint`].filter(
    (part) => part !== undefined,
  );
  return ids.length === 0 ? undefined : ids.join(' ');
}

function Notes({ id, error, hint }: { readonly id: string; readonly error: string | undefined; readonly hint: ReactNode }) {
  return (
    <>
      {hint === undefined ? null : (
        <span id={`${id}-hint`} className="hint">
          {hint}
        </span>
      )}
      {error === undefined ? null : (
        <span id={`${id}-error`} className="field-error">
          {error}
        </span>
      )}
    </>
  );
}

export function TextField({
  label,
  error,
  hint,
  value,
  onChange,
  type = 'text',
  required = false,
  autoComplete,
  list,
}: Common & {
  readonly value: string;
  onChange(value: string): void;
  readonly type?: 'text' | 'password' | 'email' | 'search' | 'number';
  readonly required?: boolean;
  readonly autoComplete?: string;
  readonly list?: string;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type={type}
        value={value}
        required={required}
        autoComplete={autoComplete ?? 'off'}
        list={list}
        aria-invalid={error === undefined ? undefined : true}
        aria-describedby={described(id, error, hint)}
        onChange={(event) => onChange(event.target.value)}
      />
      <Notes id={id} error={error} hint={hint} />
    </div>
  );
}

export function TextAreaField({
  label,
  error,
  hint,
  value,
  onChange,
  rows = 4,
}: Common & { readonly value: string; onChange(value: string): void; readonly rows?: number }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea
        id={id}
        value={value}
        rows={rows}
        spellCheck={false}
        aria-invalid={error === undefined ? undefined : true}
        aria-describedby={described(id, error, hint)}
        onChange={(event) => onChange(event.target.value)}
      />
      <Notes id={id} error={error} hint={hint} />
    </div>
  );
}

export function SelectField<V extends string>({
  label,
  error,
  hint,
  value,
  onChange,
  options,
}: Common & { readonly value: V; onChange(value: V): void; readonly options: readonly { readonly value: V; readonly label: string }[] }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={value}
        aria-invalid={error === undefined ? undefined : true}
        aria-describedby={described(id, error, hint)}
        // The options are exactly the values of V.
        onChange={(event) => onChange(event.target.value as V)}
      >
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      <Notes id={id} error={error} hint={hint} />
    </div>
  );
}

export function CheckboxField({
  label,
  error,
  hint,
  checked,
  onChange,
}: Common & { readonly checked: boolean; onChange(checked: boolean): void }) {
  const id = useId();
  return (
    <div className="field checkbox">
      <input
        id={id}
        type="checkbox"
        checked={checked}
        aria-invalid={error === undefined ? undefined : true}
        aria-describedby={described(id, error, hint)}
        onChange={(event) => onChange(event.target.checked)}
      />
      <label htmlFor={id}>{label}</label>
      <Notes id={id} error={error} hint={hint} />
    </div>
  );
}
