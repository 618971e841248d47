// `npm run test:unit`: the main suite but the files that need a server (ava.integration.config.js
// lists them), so it runs on a bare machine in under a minute. A new test file lands here by
// default: one that needs a server fails at once naming the variable, and is then listed there.
import integration from './ava.integration.config.js';

export default {
  ...integration,
  files: ['test/**/*.test.ts', '!test/outage/**', ...integration.files.map((file) => `!${file}`)],
};
