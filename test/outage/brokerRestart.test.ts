import test from 'ava';
import { type Api } from '../http/apiFixtures';
import {
  orderMessages,
  ordersTopicAndPipeline,
  pipelineState,
  produce,
  rowCounts,
  serviceScript,
  startDataPlane,
  until,
} from '../dataplane/dataplaneFixtures';

/**
 * The source broker stopped and started again mid-stream (its log dir kept: kafka.sh honours
 * POPSINK_KAFKA_KEEP_DATA=1): the pipeline is `live` again within 30 s of the broker being
 * back and every row reaches PostgreSQL, none twice.
 */
const KEEP = { POPSINK_KAFKA_KEEP_DATA: '1' };

let api: Api | undefined;
let brokerDown = false;

test.after.always(async () => {
  await api?.stop();
  if (brokerDown) await serviceScript('kafka', 'start', KEEP);
});

test('Kafka restarted mid-stream: live again within 30 s, nothing lost', async (t) => {
  const world = await startDataPlane({ POPSINK_RETRY_WINDOW_SECONDS: '3' });
  api = world.api;
  const { brokers, topic, table, pipelineId } = await ordersTopicAndPipeline(world, 'broker-restart');
  const { values, valid } = orderMessages(210_000, 100);
  const first = values.slice(0, 200_000);
  const validFirst = orderMessages(200_000, 100).valid;

  await produce(brokers, topic, first, 10_000);
  await api.request('POST', `/pipelines/${pipelineId}/start`, { token: world.token });
  const before = await until(
    '20% of the first batch',
    () => rowCounts(table),
    ({ rows }) => rows >= first.length * 0.2,
    120_000,
  );

  brokerDown = true;
  const downAt = Date.now();
  await serviceScript('kafka', 'stop');
  const during = await rowCounts(table);
  t.log(during.ids < validFirst ? 'stopped mid-stream' : 'the first batch was through before the broker stopped');
  await serviceScript('kafka', 'start', KEEP);
  brokerDown = false;
  const upAt = Date.now();
  t.log(`broker down ${upAt - downAt} ms (stop + start) with ${before.rows}..${during.rows} rows written`);

  const seen = new Set<unknown>();
  await until(
    'state live within 30 s of the broker being back',
    async () => {
      const rows = await rowCounts(table);
      const { state } = await pipelineState(world, pipelineId);
      seen.add(state);
      return { state, grew: rows.rows > during.rows || rows.ids === validFirst };
    },
    ({ state, grew }) => state === 'live' && grew,
    30_000,
  ).catch(async (error: unknown) => {
    const logs = await api?.request('GET', `/pipelines/${pipelineId}/logs?limit=200`, { token: world.token });
    t.log(`the pipeline's last log lines: ${JSON.stringify(logs?.body, null, 1)}`);
    throw error;
  });
  t.log(`live and writing again ${Date.now() - upAt} ms after the broker was back (states seen: ${[...seen].join(', ')})`);

  await produce(brokers, topic, values.slice(200_000));
  const after = await until(
    'every row',
    () => rowCounts(table),
    ({ ids }) => ids === valid,
    180_000,
  );
  t.log(`all ${valid} rows ${Date.now() - upAt} ms after the broker was back`);
  t.is(after.ids, valid, 'nothing lost');
  t.is(after.rows, after.ids, 'no duplicates');
});
