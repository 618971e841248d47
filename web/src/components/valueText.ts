/** Any value of an API answer as plain text: React escapes it, nothing is ever read as HTML. */
export function valueText(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
