import { BLANK, trimmedPattern, type JsonSchema } from '../jsonSchema';

// Deliberately simple: one "@", a non-empty local part, a dotted domain, no blanks. Delivery proves the rest.
// BLANK is the set `\s` means here, spelt out so that the document's pattern means the same elsewhere.
const EMAIL_SOURCE = `[^${BLANK}@]+@[^${BLANK}@]+\\.[^${BLANK}@]+`;
const EMAIL = new RegExp(`^${EMAIL_SOURCE}$`);
const MAX_EMAIL_LENGTH = 320;

/** The normalised email (trimmed, lower-cased) or undefined when it is not an email address. */
export function validateEmail(raw: string): string | undefined {
  const email = raw.trim().toLowerCase();
  return email.length <= MAX_EMAIL_LENGTH && EMAIL.test(email) ? email : undefined;
}

/** What `validateEmail` accepts, for the document (the length, counted once trimmed and lower-cased, left out). */
export const EMAIL_SCHEMA: JsonSchema = { type: 'string', pattern: trimmedPattern(EMAIL_SOURCE) };
