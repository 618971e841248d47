import { useId } from 'react';

/** New connector or existing one: a radio pair, usable with the arrow keys. */
export function ConnectorModeChoice({
  legend,
  mode,
  onChange,
}: {
  readonly legend: string;
  readonly mode: 'new' | 'existing';
  onChange(mode: 'new' | 'existing'): void;
}) {
  const name = useId();
  return (
    <fieldset className="mode-choice">
      <legend>{legend}</legend>
      <label>
        <input type="radio" name={name} checked={mode === 'new'} onChange={() => onChange('new')} /> A new connector
      </label>
      <label>
        <input type="radio" name={name} checked={mode === 'existing'} onChange={() => onChange('existing')} /> An existing connector
      </label>
    </fieldset>
  );
}
