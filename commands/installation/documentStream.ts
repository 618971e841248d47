import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/**
 * Reads an installation document piece by piece, so that a log of millions of events is never one
 * string (nor one parsed array) in memory: each top-level field is parsed on its own, except
 * `events`, whose elements are parsed and handed out one at a time. Any JSON layout is accepted
 * (fields in any order, any whitespace); only the top level must be an object.
 */
export type DocumentPart =
  | { readonly kind: 'field'; readonly key: string; readonly value: unknown }
  | { readonly kind: 'event'; readonly index: number; readonly value: unknown };

export class MalformedDocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedDocumentError';
  }
}

const STREAMED_ARRAY = 'events';

type Mode = 'start' | 'key-or-end' | 'key' | 'colon' | 'value-start' | 'value' | 'items' | 'item' | 'after-value' | 'done';

const isSpace = (c: string): boolean => c === ' ' || c === '\n' || c === '\r' || c === '\t';

function parsed(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new MalformedDocumentError(`${what} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export async function* documentParts(chunks: AsyncIterable<string>): AsyncGenerator<DocumentPart> {
  let mode: Mode = 'start';
  let key = '';
  /** The value being captured: pieces of earlier chunks, then the current chunk from `from`. */
  let pieces: string[] = [];
  let from = -1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let index = 0;

  for await (const chunk of chunks) {
    const parts: DocumentPart[] = [];
    const take = (end: number): string => {
      const text = pieces.join('') + chunk.slice(from, end);
      pieces = [];
      from = -1;
      return text;
    };
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charAt(i);
      switch (mode) {
        case 'start':
          if (isSpace(c) || c === '\uFEFF') continue;
          if (c !== '{') throw new MalformedDocumentError('the document is not a JSON object');
          mode = 'key-or-end';
          continue;
        case 'key-or-end':
          if (isSpace(c) || c === ',') continue;
          if (c === '}') mode = 'done';
          else if (c === '"') {
            mode = 'key';
            from = i;
            escaped = false;
          } else throw new MalformedDocumentError(`unexpected ${JSON.stringify(c)} where a field name was expected`);
          continue;
        case 'key':
          if (escaped) escaped = false;
          else if (c === '\\') escaped = true;
          else if (c === '"') {
            key = String(parsed(take(i + 1), 'a field name'));
            mode = 'colon';
          }
          continue;
        case 'colon':
          if (isSpace(c)) continue;
          if (c !== ':') throw new MalformedDocumentError(`":" expected after "${key}"`);
          mode = 'value-start';
          continue;
        case 'value-start':
          if (isSpace(c)) continue;
          if (key === STREAMED_ARRAY && c === '[') {
            mode = 'items';
            continue;
          }
          mode = 'value';
          from = i;
          depth = 0;
          inString = false;
          escaped = false;
          i--; // the first character of the value is scanned as part of it
          continue;
        case 'items':
          if (isSpace(c) || c === ',') continue;
          if (c === ']') {
            mode = 'after-value';
            continue;
          }
          mode = 'item';
          from = i;
          depth = 0;
          inString = false;
          escaped = false;
          i--;
          continue;
        case 'value':
        case 'item': {
          if (inString) {
            if (escaped) escaped = false;
            else if (c === '\\') escaped = true;
            else if (c === '"') inString = false;
            continue;
          }
          if (c === '"') inString = true;
          else if (c === '{' || c === '[') depth++;
          else if ((c === '}' || c === ']') && depth > 0) depth--;
          else if (depth === 0 && (c === ',' || c === '}' || c === ']')) {
            const text = take(i);
            if (mode === 'value') {
              if (c === ']') throw new MalformedDocumentError(`unexpected "]" in "${key}"`);
              parts.push({ kind: 'field', key, value: parsed(text, `field "${key}"`) });
              mode = c === '}' ? 'done' : 'key-or-end';
            } else {
              if (c === '}') throw new MalformedDocumentError(`unexpected "}" in "${STREAMED_ARRAY}"`);
              parts.push({ kind: 'event', index, value: parsed(text, `${STREAMED_ARRAY}[${index}]`) });
              index++;
              mode = c === ']' ? 'after-value' : 'items';
            }
          }
          continue;
        }
        case 'after-value':
          if (isSpace(c)) continue;
          if (c === ',') mode = 'key-or-end';
          else if (c === '}') mode = 'done';
          else throw new MalformedDocumentError(`unexpected ${JSON.stringify(c)} after "${key}"`);
          continue;
        case 'done':
          if (!isSpace(c)) throw new MalformedDocumentError('unexpected text after the document');
          continue;
      }
    }
    if (from >= 0) {
      pieces.push(chunk.slice(from));
      from = 0;
    }
    yield* parts;
  }
  if (mode !== 'done') throw new MalformedDocumentError('the document ends too early');
}

/** A document to import wherever it is; read once to check it and once more to write it. */
export interface DocumentSource {
  parts(): AsyncIterable<DocumentPart>;
}

/** A document the API's body parser already holds. */
export function documentInMemory(document: Readonly<Record<string, unknown>>): DocumentSource {
  return {
    async *parts() {
      for (const [key, value] of Object.entries(document)) {
        if (key !== 'events') yield { kind: 'field', key, value };
      }
      const events = document['events'];
      if (!Array.isArray(events)) return;
      let index = 0;
      for (const value of events as unknown[]) yield { kind: 'event', index: index++, value };
    },
  };
}

/** A document file, streamed; `onRead` hears how far each reading got (bytes read, file size). */
export function documentFile(path: string, onRead?: (read: number, size: number) => void): DocumentSource {
  return {
    async *parts() {
      const size = (await stat(path)).size;
      let read = 0;
      const chunks = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
      async function* counted(): AsyncGenerator<string> {
        for await (const chunk of chunks as AsyncIterable<string>) {
          read += Buffer.byteLength(chunk);
          onRead?.(read, size);
          yield chunk;
        }
      }
      yield* documentParts(counted());
    },
  };
}
