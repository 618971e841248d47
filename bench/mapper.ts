/**
 * Benchmark of the mapper engine (runtime/mapper/mapper.ts): messages per second of a realistic
 * 10-column mapper, compiled accessors against the same mapper with every path sent through
 * jsonpath-plus (`engine: 'jsonpath'`, the naive way), in the same process.
 *
 *   npx tsx bench/mapper.ts [--messages N]        (default 200k; `200k`, `1e6`, `1_000_000` work)
 *
 * Three lines per engine:
 *   - objects:  messages already parsed, 10 columns with their casts (the mapper's own cost);
 *   - json:     messages as JSON text, as a worker gets them from Kafka (JSON.parse included);
 *   - paths:    the same 10 paths without casts or statics (the path reading alone).
 * Each line is one measured run over N messages after a warm-up of N/10; the messages cycle over
 * 1,000 generated orders. Before measuring, both engines must give the same rows.
 */
import { cpus } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { isLeft } from 'fp-ts/lib/Either.js';
import { validateMapperConfig, type MapperEntry } from '../domain/mapper/mapperSpec';
import { compileMapper, type Mapper, type PathEngine } from '../runtime/mapper/mapper';

function parseCount(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const normalised = text.replaceAll('_', '').toLowerCase();
  const n = normalised.endsWith('k') ? Number(normalised.slice(0, -1)) * 1000 : Number(normalised);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`not a message count: ${text}`);
  return Math.round(n);
}
const flag = process.argv.indexOf('--messages');
const MESSAGES = parseCount(flag >= 0 ? process.argv[flag + 1] : undefined, 200_000);
const DISTINCT = 1000;

const config = [
  { key: 'order_id', path: '$.order_id', cast: 'string', primary_key: true },
  { key: 'customer_id', path: '$.customer.id', cast: 'int', nullable: false },
  { key: 'country', path: '$.customer.address.country', cast: 'string' },
  { key: 'created_at', path: '$.created_at', cast: 'datetime' },
  { key: 'order_day', path: '$.day', cast: 'date', cast_format: '%d/%m/%Y' },
  { key: 'amount', path: '$.payment.amount', cast: 'float' },
  { key: 'captured', path: '$.payment.captured', cast: 'bool' },
  { key: 'first_sku', path: '$.items[0].sku', cast: 'string' },
  { key: 'first_qty', path: "$.items[0]['quantity']", cast: 'int' },
  { key: 'source', static: 'web' },
];
const pathsOnly = [...config.filter((entry) => entry.path !== undefined), { key: 'channel', path: '$.meta.channel' }].map(
  ({ key, path }) => ({ key, path }),
);

function entriesOf(raw: unknown[]): MapperEntry[] {
  const validated = validateMapperConfig(raw, ['bench']);
  if (isLeft(validated)) throw new Error(JSON.stringify(validated.left));
  return validated.right;
}

const pad2 = (n: number) => String(n).padStart(2, '0');
const orders = Array.from({ length: DISTINCT }, (_, i) => ({
  order_id: `ord-${100000 + i}`,
  created_at: `2025-${pad2((i % 12) + 1)}-${pad2((i % 28) + 1)}T${pad2(i % 24)}:${pad2(i % 60)}:${pad2((i * 7) % 60)}.${String(i).padStart(3, '0')}+02:00`,
  day: `${pad2((i % 28) + 1)}/${pad2((i % 12) + 1)}/2025`,
  customer: {
    id: String(5000 + i),
    name: `Customer ${i}`,
    address: { street: `${i} Main St`, city: 'Lyon', country: i % 3 === 0 ? 'FR' : 'DE' },
  },
  payment: { amount: (i * 13.37) % 1000, currency: 'EUR', captured: i % 5 === 0 ? 'false' : true },
  items: Array.from({ length: 1 + (i % 4) }, (_, k) => ({ sku: `SKU-${i}-${k}`, quantity: 1 + k, price: 9.99 * (k + 1) })),
  meta: { channel: 'web', trace_id: `t-${i}`, tags: ['a', 'b'] },
}));
const texts = orders.map((order) => JSON.stringify(order));

function run(map: Mapper, messages: readonly unknown[], count: number): { seconds: number; failures: number } {
  let failures = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) if (!map(messages[i % messages.length]).ok) failures++;
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, failures };
}

function measure(label: string, entries: MapperEntry[], messages: readonly unknown[]) {
  const mappers: Record<PathEngine, Mapper> = {
    compiled: compileMapper(entries),
    jsonpath: compileMapper(entries, { engine: 'jsonpath' }),
  };
  for (const message of messages) {
    const compiled = mappers.compiled(message);
    if (!compiled.ok) throw new Error(`${label}: ${compiled.column}: ${compiled.reason}`);
    if (!isDeepStrictEqual(compiled, mappers.jsonpath(message)))
      throw new Error(`${label}: the engines disagree on ${JSON.stringify(message)}`);
  }
  const rates: Record<PathEngine, number> = { compiled: 0, jsonpath: 0 };
  for (const engine of ['jsonpath', 'compiled'] as const) {
    run(mappers[engine], messages, Math.ceil(MESSAGES / 10));
    const { seconds, failures } = run(mappers[engine], messages, MESSAGES);
    if (failures > 0) throw new Error(`${label}/${engine}: ${failures} failures`);
    rates[engine] = MESSAGES / seconds;
    process.stderr.write(`  ${label}/${engine}: ${seconds.toFixed(2)} s\n`);
  }
  return { label, ...rates, ratio: rates.compiled / rates.jsonpath };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`mapper bench: ${fmt(MESSAGES)} messages per run, node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}`);
const rows = [
  measure('objects (10 columns, casts)', entriesOf(config), orders),
  measure('json text (10 columns, casts)', entriesOf(config), texts),
  measure('paths only (10 paths)', entriesOf(pathsOnly), orders),
];
console.log('');
console.log(`${'run'.padEnd(32)}${'compiled msg/s'.padStart(16)}${'jsonpath-plus msg/s'.padStart(22)}${'ratio'.padStart(9)}`);
for (const row of rows) {
  console.log(
    `${row.label.padEnd(32)}${fmt(row.compiled).padStart(16)}${fmt(row.jsonpath).padStart(22)}${`${row.ratio.toFixed(1)}×`.padStart(9)}`,
  );
}
