// Deliberately simple: one "@", a non-empty local part, a dotted domain, no spaces. Delivery proves the rest.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The normalised email (trimmed, lower-cased) or undefined when it is not an email address. */
export function validateEmail(raw: string): string | undefined {
  const email = raw.trim().toLowerCase();
  return email.length <= 320 && EMAIL.test(email) ? email : undefined;
}
