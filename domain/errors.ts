/**
 * Why a command was refused. The domain names the kind and a stable code; the HTTP layer alone
 * turns a kind into a status (invalid → 422 or 400, not_found → 404, forbidden → 403, conflict → 409).
 */
export type DomainErrorKind = 'invalid' | 'not_found' | 'forbidden' | 'conflict';

export interface DomainError {
  readonly kind: DomainErrorKind;
  readonly code: string;
  /** For `invalid`: where in the request the problem is, FastAPI style (e.g. ['body', 'name']). */
  readonly loc?: readonly (string | number)[];
  readonly message?: string;
}

export const invalid = (code: string, loc?: readonly (string | number)[], message?: string): DomainError => ({
  kind: 'invalid',
  code,
  ...(loc ? { loc } : {}),
  ...(message ? { message } : {}),
});
export const notFound = (code: string): DomainError => ({ kind: 'not_found', code });
export const forbidden = (code: string): DomainError => ({ kind: 'forbidden', code });
export const conflict = (code: string, message?: string): DomainError => ({
  kind: 'conflict',
  code,
  ...(message ? { message } : {}),
});
