import { useEffect, useState } from 'react';
import { processMapper } from '../../api/mapper';
import type { MapperEntry } from '../../api/types';

/** Typing pauses this long before the preview asks the server again. */
const PREVIEW_DELAY_MS = 400;

export type Preview = { readonly rows: readonly Record<string, unknown>[] } | { readonly error: unknown } | undefined;

/** The rows the mapper makes of the sample messages, through `/api/smt/process_mapper`, asked again as either changes. */
export function useMapperPreview(entries: readonly MapperEntry[], messages: readonly string[]): Preview {
  const [preview, setPreview] = useState<Preview>();
  const request = JSON.stringify({ entries, messages });

  useEffect(() => {
    if (entries.length === 0 || messages.length === 0) {
      setPreview(undefined);
      return;
    }
    let current = true;
    const timer = window.setTimeout(() => {
      processMapper(entries, messages).then(
        (rows) => {
          if (current) setPreview({ rows });
        },
        (error: unknown) => {
          if (current) setPreview({ error });
        },
      );
    }, PREVIEW_DELAY_MS);
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
    // `request` is the text of both inputs: the preview is asked again only when one of them changed.
  }, [request]);

  return preview;
}
