import Router from '@koa/router';
import * as t from 'io-ts';
import { MapperConfigInput, validateMapperConfig } from '../../domain/mapper/mapperSpec';
import { MESSAGE_COLUMN, compileMapper } from '../../runtime/mapper/mapper';
import { callerOf } from '../auth';
import type { ValidationIssue } from '../../domain/validationIssue';
import { ValidationFailure } from '../../domain/failures';

/**
 * `POST /smt/process_mapper`: try a mapper on sample messages, with the very engine the workers
 * run. Body `{"config": [mapper entries], "message": {...} | [{...}, ...]}`; a message may also
 * be JSON text (a string), as `fetch-messages` shows a Kafka value. Answers 200 with the array of
 * mapped rows (one per message, in order; one message gives a one-row array).
 *
 * An invalid config is a 422 with every faulty entry field's loc (`["body", "config", 2, "cast"]`).
 * A message the mapper cannot map is a 422 per failing message, located at the message
 * (`["body", "message"]`, or `["body", "message", i]` in a list), whose `msg` names the column
 * and the reason, also given apart in `ctx: {column, reason}`. Authenticated callers only.
 */

/** A FastAPI-style issue that also carries which column failed and why. */
interface MessageIssue extends ValidationIssue {
  readonly ctx: { readonly column: string; readonly reason: string };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const missing = (loc: readonly (string | number)[]): ValidationIssue => ({ loc, msg: 'field required', type: 'value_error.missing' });

/** One message: a JSON object, or JSON text to parse (the mapper reports text that is not JSON). */
const Message = t.union([t.UnknownRecord, t.string]);
const isMessage = (value: unknown): boolean => Message.is(value);

/**
 * The body, for the document: the route checks it by hand, field by field, so that every problem
 * (of the config's entries and of each message) is reported at once, at its own loc.
 */
export const ProcessMapperBody = t.type({ config: MapperConfigInput, message: t.union([Message, t.array(Message)]) });

/** One mapped row per message, in order. */
export const ProcessMapperRead = t.array(t.UnknownRecord);

export function smtRouter(): Router {
  const router = new Router({ prefix: '/smt' });

  router.post('/process_mapper', (ctx) => {
    callerOf(ctx);
    const body: unknown = ctx.request.body;
    if (!isRecord(body)) throw new ValidationFailure([{ loc: ['body'], msg: 'value is not a valid dict', type: 'type_error.dict' }]);

    const issues: ValidationIssue[] = [];
    const config = body['config'];
    const entries = config === undefined || config === null ? undefined : validateMapperConfig(config, ['body', 'config']);
    if (entries === undefined) issues.push(missing(['body', 'config']));
    else if (entries._tag === 'Left') {
      for (const error of entries.left)
        issues.push({ loc: error.loc ?? ['body', 'config'], msg: error.message ?? error.code, type: error.code });
    }

    const message = body['message'];
    const batch = Array.isArray(message);
    const messages: readonly unknown[] = batch ? message : [message];
    const locOf = (index: number): (string | number)[] => (batch ? ['body', 'message', index] : ['body', 'message']);
    if (message === undefined || message === null) issues.push(missing(['body', 'message']));
    else {
      messages.forEach((item, index) => {
        if (!isMessage(item)) issues.push({ loc: locOf(index), msg: 'value is not a valid dict', type: 'type_error.dict' });
      });
    }
    if (issues.length > 0 || entries === undefined || entries._tag === 'Left') throw new ValidationFailure(issues);

    const map = compileMapper(entries.right);
    const rows: t.TypeOf<typeof ProcessMapperRead> = [];
    const failures: MessageIssue[] = [];
    messages.forEach((item, index) => {
      const result = map(item);
      if (result.ok) {
        rows.push(result.row);
        return;
      }
      const msg = result.column === MESSAGE_COLUMN ? result.reason : `column '${result.column}': ${result.reason}`;
      failures.push({ loc: locOf(index), msg, type: 'value_error.mapper', ctx: { column: result.column, reason: result.reason } });
    });
    if (failures.length > 0) throw new ValidationFailure(failures);
    ctx.body = rows;
  });

  return router;
}
