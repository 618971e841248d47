import test from 'ava';
import { jsonLogger, type LogLevel } from '../../infrastructure/logger';

const AT = new Date('2026-01-02T03:04:05.678Z');

/** A logger at `minLevel` whose lines the test reads back, one string per write. */
const capture = (minLevel?: LogLevel) => {
  const lines: string[] = [];
  const logger = jsonLogger(
    (line) => lines.push(line),
    minLevel,
    () => AT,
  );
  return { lines, logger, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
};

test('each call is one JSON line: ts, level as a word, message and the fields', (t) => {
  const { lines, logger, parsed } = capture();
  logger.info('pipeline started', { pipelineId: 'p1', partitions: [0, 1] });
  logger.error('worker failed', { code: 'TARGET_UNREACHABLE' });
  t.is(lines.length, 2);
  t.true(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n')));
  t.deepEqual(parsed(), [
    { ts: AT.toISOString(), level: 'info', message: 'pipeline started', pipelineId: 'p1', partitions: [0, 1] },
    { ts: AT.toISOString(), level: 'error', message: 'worker failed', code: 'TARGET_UNREACHABLE' },
  ]);
});

test('lines below the minimum level are not written; info is the default minimum', (t) => {
  const byDefault = capture();
  byDefault.logger.debug('noise');
  byDefault.logger.warn('kept');
  t.deepEqual(
    byDefault.parsed().map((line) => line['message']),
    ['kept'],
  );

  const quiet = capture('error');
  quiet.logger.warn('dropped');
  quiet.logger.error('kept');
  t.deepEqual(
    quiet.parsed().map((line) => line['level']),
    ['error'],
  );

  const verbose = capture('debug');
  verbose.logger.debug('kept');
  t.deepEqual(
    verbose.parsed().map((line) => line['level']),
    ['debug'],
  );
});

test('secret fields are masked at the top level and two objects down; other fields stay', (t) => {
  const { lines, logger, parsed } = capture();
  logger.warn('connector check', {
    password: 'top-secret-1',
    connector: { sasl_password: 'top-secret-2', topic: 'orders', tls: { password: 'top-secret-3' } },
    headers: { authorization: 'Bearer top-secret-4' },
  });
  t.false(lines.join('').includes('top-secret'));
  t.deepEqual(parsed()[0], {
    ts: AT.toISOString(),
    level: 'warn',
    message: 'connector check',
    password: '********',
    connector: { sasl_password: '********', topic: 'orders', tls: { password: '********' } },
    headers: { authorization: '********' },
  });
});
