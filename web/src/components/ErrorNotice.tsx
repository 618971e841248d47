import { ApiError } from '../api/http';
import { fieldPathOf } from '../api/fieldErrors';

/**
 * A failed call in words. A 422's issues about fields the form shows beside them (`shown`) are
 * not repeated here; the others are listed with the field they concern.
 */
export function ErrorNotice({ error, shown = [] }: { readonly error: unknown; readonly shown?: readonly string[] }) {
  if (error === undefined || error === null) return null;
  if (!(error instanceof ApiError)) {
    return (
      <p role="alert" className="notice error">
        {error instanceof Error ? `The server could not be reached: ${error.message}` : 'Something went wrong.'}
      </p>
    );
  }
  if (error.issues.length === 0) {
    return (
      <p role="alert" className="notice error">
        {error.message}
      </p>
    );
  }
  const others = error.issues.filter((issue) => !shown.includes(fieldPathOf(issue)));
  return (
    <div role="alert" className="notice error">
      <p>
        {others.length === error.issues.length ? 'The request was refused:' : 'Some fields need a change (see the messages beside them).'}
      </p>
      {others.length === 0 ? null : (
        <ul>
          {others.map((issue, index) => (
            <li key={index}>
              {fieldPathOf(issue) === '' ? '' : `${fieldPathOf(issue)}: `}
              {issue.msg}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
