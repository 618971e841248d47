import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FILE_FORMAT, PopsinkFile } from '../cli/pipelinesAsCode/fileSchema';
import { jsonSchemaOf, type JsonSchema } from '../http/openapi/ioTsSchema';

// `npx tsx scripts/pipelinesAsCodeSchema.ts` writes cli/pipelinesAsCode/popsink.schema.json from
// the file's io-ts codecs (the CLI may not import http/, where the codec-to-schema translation
// lives, so the CLI ships the generated file; test/cli/pipelinesAsCode.test.ts fails when stale).

export const SCHEMA_FILE = fileURLToPath(new URL('../cli/pipelinesAsCode/popsink.schema.json', import.meta.url));

/** io-ts codecs do not refuse unknown keys; a file must (a misspelt field would silently be ignored). */
function closed(schema: JsonSchema): JsonSchema {
  const properties =
    schema.properties === undefined
      ? undefined
      : Object.fromEntries(Object.entries(schema.properties).map(([name, value]) => [name, closed(value)]));
  return {
    ...schema,
    ...(properties !== undefined ? { properties } : {}),
    ...(properties !== undefined && schema.additionalProperties === undefined ? { additionalProperties: false } : {}),
    ...(schema.items !== undefined ? { items: closed(schema.items) } : {}),
    ...(schema.anyOf !== undefined ? { anyOf: schema.anyOf.map(closed) } : {}),
    ...(schema.allOf !== undefined ? { allOf: schema.allOf.map(closed) } : {}),
  };
}

/** The JSON Schema (draft-07, which editors' YAML plugins read) of a pipelines-as-code file, as text. */
export const schemaText = (): string =>
  `${JSON.stringify(
    {
      $schema: 'http://json-schema.org/draft-07/schema#',
      $id: 'https://popsink.example/schemas/popsink.schema.json',
      title: 'Popsink pipelines as code',
      description: `Environments, teams, connectors and pipelines by name (format ${FILE_FORMAT}). A field left out is not managed; null clears it. Write secrets as \${env:NAME}.`,
      ...closed(jsonSchemaOf(PopsinkFile)),
    },
    null,
    2,
  )}\n`;

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) writeFileSync(SCHEMA_FILE, schemaText());
