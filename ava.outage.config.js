// Resilience suites: they stop and start the real test servers (and kill the runtime), so they
// run one test at a time, after the main suite (scripts/test.sh), never alongside it.
export default {
  files: ['test/outage/**/*.test.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  serial: true,
  concurrency: 1,
  timeout: '10m',
};
