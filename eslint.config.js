// `npm run lint`. typescript-eslint's recommended rules (type-aware ones included), Prettier's
// conflicts turned off, and the layer rule of DESIGN.md section 3 as one table below.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const LAYERS = ['domain', 'infrastructure', 'commands', 'projections', 'runtime', 'http', 'cli'];
/** Composition roots and what only tools load: no layer imports them. */
const OUTSIDE = ['main', 'platform', 'cli', 'config', 'test', 'bench', 'scripts', 'web'];

/**
 * Which other top-level folders each layer may import (its own folder always). `domain/` is pure
 * and imports no package but io-ts and fp-ts; `projections/` reaches into `commands/` only for the
 * event store port it subscribes to; `cli/` talks to the API over HTTP and opens the stores the
 * way the platform does, so it may use the composition root's wiring but never `http/`.
 */
const MAY_IMPORT = {
  domain: [],
  infrastructure: ['domain'],
  commands: ['domain', 'infrastructure'],
  projections: ['domain', 'infrastructure', 'commands/eventstore/eventStore', 'commands/eventstore/decodeRecorded'],
  runtime: ['domain', 'infrastructure', 'commands', 'projections'],
  http: ['domain', 'infrastructure', 'commands', 'projections', 'runtime'],
  cli: ['domain', 'infrastructure', 'commands', 'projections', 'runtime', 'platform', 'config'],
};
const PURE_PACKAGES = ['io-ts', 'fp-ts'];

/**
 * Imports are relative and extensionless, and no layer has a subfolder named like a top-level
 * one, so "one or more `../` then a top-level name" is an import of that top-level folder.
 * (`cli/commands/` is the exception: `cli/` may import `commands/` anyway.)
 */
const upTo = (names) => `^(\\.\\./)+(${names.join('|')})(/|$)`;

const layerRule = (layer) => {
  const allowed = MAY_IMPORT[layer];
  const forbidden = [...LAYERS, ...OUTSIDE].filter((name) => name !== layer && !allowed.includes(name));
  // A single file allowed out of a folder otherwise forbidden (the event store port).
  const ports = allowed.filter((entry) => entry.includes('/'));
  const portFolders = [...new Set(ports.map((port) => port.split('/')[0]))];
  const patterns = [
    {
      regex: upTo(forbidden.filter((name) => !portFolders.includes(name))),
      message: `${layer}/ may import only ${[layer, ...allowed].join(', ')} (DESIGN.md section 3).`,
    },
    ...portFolders.map((folder) => ({
      regex: `^(\\.\\./)+${folder}/(?!(${ports.map((port) => port.slice(folder.length + 1)).join('|')})$)`,
      message: `${layer}/ may import from ${folder}/ only ${ports.join(', ')} (DESIGN.md section 3).`,
    })),
  ];
  if (layer === 'domain') {
    patterns.push({
      regex: `^(?!\\.|(${PURE_PACKAGES.join('|')})(/|$))`,
      message: `domain/ is pure: no I/O, no package but ${PURE_PACKAGES.join(', ')} (DESIGN.md section 3).`,
    });
  }
  return {
    files: [`${layer}/**/*.ts`],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
  };
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'web/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // `_name` marks what a destructuring drops on purpose (`{ _id, ...rest }`).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Ports are implemented by async functions that may not await (the memory adapters):
      // requiring an await would mean rewriting them to return Promise.resolve by hand.
      '@typescript-eslint/require-await': 'off',
      // The code has no classes whose methods use `this`; what the rule finds are closures passed
      // on (our stores, kafkajs's eachBatch payload and producer), which are safe unbound.
      '@typescript-eslint/unbound-method': 'off',
      // String(value) is how values from drivers, sockets and JSON become text (Buffers, numbers,
      // dates); an object reaching it would be a bug the tests show, not one this rule finds.
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    // Tests read JSON answers as `unknown` records and put their ids into URLs.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/restrict-template-expressions': 'off' },
  },
  {
    // Tests and benchmarks read rows straight from pg and kafkajs (typed `any`) to check them.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
  ...LAYERS.map(layerRule),
  prettier,
);
