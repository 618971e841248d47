import { ErrorNotice } from '../../components/ErrorNotice';

/** What a connection check or a listing answered: a success in words, or the server's reason. */
export type Outcome = { readonly ok: string } | { readonly error: unknown } | undefined;

export function CheckOutcome({ outcome, shown }: { readonly outcome: Outcome; readonly shown: readonly string[] }) {
  if (outcome === undefined) return null;
  if ('ok' in outcome) {
    return (
      <p role="status" className="notice ok">
        {outcome.ok}
      </p>
    );
  }
  return <ErrorNotice error={outcome.error} shown={shown} />;
}
