import type { Context } from 'koa';
import type { DomainErrorKind } from '../domain/errors';
import { DomainFailure, ValidationFailure } from '../domain/failures';
import { ProjectionTimeoutError } from '../projections/runner';

/** An answer the contract fixes outside the domain's codes (e.g. 429, or 400 with an object detail). */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly detail: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(`HTTP ${status}`);
    this.name = 'HttpFailure';
  }
}

/** No valid token: answered 401 whatever the reason, so a token's state is not revealed. */
export class Unauthorized extends Error {
  constructor() {
    super('Unauthorized');
    this.name = 'Unauthorized';
  }
}

/** A body that is not valid JSON (or form data) for its content type. */
export class MalformedBody extends Error {
  constructor() {
    super('Malformed request body');
    this.name = 'MalformedBody';
  }
}

export class RequestTooLarge extends Error {
  constructor() {
    super('Request body too large');
    this.name = 'RequestTooLarge';
  }
}

const statusOf: Record<DomainErrorKind, number> = { invalid: 400, not_found: 404, forbidden: 403, conflict: 409 };

/** fastapi-users answers these conflicts with 400; existing clients rely on it. */
const contractStatus: Readonly<Record<string, number>> = {
  REGISTER_USER_ALREADY_EXISTS: 400,
  UPDATE_USER_EMAIL_ALREADY_EXISTS: 400,
};

export interface ErrorLogger {
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * The contract's bodies for a request no route answered: 404 `Not Found` (no route has the
 * path) and 405 `Method Not Allowed` (the path lacks the method; `Allow` is set). Koa turns the
 * status into 200 when a body is set, so the status is set again after it.
 */
export function answerUnrouted(ctx: Context): void {
  const status = ctx.status;
  if (status === 404 && ctx.body === undefined) {
    ctx.body = { detail: 'Not Found' };
    ctx.status = status;
  }
  if (status === 405 && (ctx.body === undefined || typeof ctx.body === 'string')) {
    ctx.body = { detail: 'Method Not Allowed' };
    ctx.status = status;
  }
}

/**
 * The one error mapping: every failure becomes `{"detail": ...}` with the contract's status,
 * and nothing of a stack trace or an internal message ever reaches the client.
 */
export function answerFailure(ctx: Context, error: unknown, logger: ErrorLogger): void {
  if (error instanceof ValidationFailure) {
    ctx.status = 422;
    ctx.body = { detail: error.issues };
    return;
  }
  if (error instanceof DomainFailure) {
    const { kind, code, loc, message } = error.error;
    // A domain validation rule with a location is a field error: FastAPI's 422 shape.
    if (kind === 'invalid' && loc !== undefined) {
      ctx.status = 422;
      ctx.body = { detail: [{ loc, msg: message ?? code, type: code }] };
      return;
    }
    ctx.status = contractStatus[code] ?? statusOf[kind];
    ctx.body = { detail: code };
    return;
  }
  if (error instanceof ProjectionTimeoutError) {
    // The change is recorded; only its read models lag (e.g. a busy MongoDB during a rebuild).
    ctx.status = 503;
    ctx.set('Retry-After', '2');
    ctx.body = { detail: 'READ_MODELS_LAGGING: the change is recorded but not yet readable; read it again shortly' };
    return;
  }
  if (error instanceof HttpFailure) {
    ctx.status = error.status;
    ctx.set(error.headers);
    ctx.body = { detail: error.detail };
    return;
  }
  if (error instanceof Unauthorized) {
    ctx.status = 401;
    ctx.set('WWW-Authenticate', 'Bearer');
    ctx.body = { detail: 'Unauthorized' };
    return;
  }
  if (error instanceof MalformedBody) {
    ctx.status = 422;
    ctx.body = { detail: [{ loc: ['body'], msg: 'Invalid request body', type: 'value_error.jsondecode' }] };
    return;
  }
  if (error instanceof RequestTooLarge) {
    ctx.status = 413;
    ctx.body = { detail: 'REQUEST_ENTITY_TOO_LARGE' };
    return;
  }
  logger.error('request failed', {
    requestId: ctx.state['requestId'],
    method: ctx.method,
    path: ctx.path,
    error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  });
  ctx.status = 500;
  ctx.body = { detail: 'Internal Server Error' };
}
