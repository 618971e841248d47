import { BLANK, trimmedPattern, type JsonSchema } from '../jsonSchema';

// Deliberately simple: one "@", a non-empty local part, a dotted domain, no blanks and no control
// characters (C0, DEL, C1: they print as nothing or move the cursor). Delivery proves the rest.
// BLANK is the set `\s` means here, spelt out so that the document's pattern means the same elsewhere.
const CONTROL = '\\u0000-\\u001f\\u007f-\\u009f';
const PART = `[^${BLANK}${CONTROL}@]+`;
const EMAIL_SOURCE = `${PART}@${PART}\\.${PART}`;
const EMAIL = new RegExp(`^${EMAIL_SOURCE}$`);
const MAX_EMAIL_LENGTH = 320;

/** The normalised email (trimmed, lower-cased) or undefined when it is not an email address. */
export function validateEmail(raw: string): string | undefined {
  const email = raw.trim().toLowerCase();
  return email.length <= MAX_EMAIL_LENGTH && EMAIL.test(email) ? email : undefined;
}

/** What `validateEmail` accepts, for the document (the length, counted once trimmed and lower-cased, left out). */
export const EMAIL_SCHEMA: JsonSchema = { type: 'string', pattern: trimmedPattern(EMAIL_SOURCE) };
