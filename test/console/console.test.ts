import test, { type ExecutionContext } from 'ava';
import AxeBuilder from '@axe-core/playwright';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { tempDir } from '../commands/commandFixtures';
import { createTopic, produce, REPO_ROOT, startDataPlane, until } from '../dataplane/dataplaneFixtures';
import { pgUrl } from '../fixtures/postgresConfig';
import { testServer } from '../fixtures/testServers';
import { ADMIN, type Api } from '../http/apiFixtures';

/**
 * The web console in a real browser (Debian's Chromium, driven by playwright-core) against the
 * platform with its runtime, real Kafka and PostgreSQL: sign in, create a Kafka → PostgreSQL
 * pipeline through the wizard, start it, see it live, its message count grow and a log line
 * arrive, pause it; every page passes axe with no serious or critical violation, and the
 * browser's console stays free of errors. Screenshots of each page go to test-output/console/.
 */

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = join(REPO_ROOT, 'test-output', 'console');
/** Generous: the machine may be running two other suites and their workers. */
const STEP_MS = 60_000;
const LIVE_MS = 180_000;

interface World {
  readonly api: Api;
  readonly base: string;
  readonly brokers: string;
  readonly topic: string;
  readonly table: string;
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  /** What the browser reported as an error: console errors, uncaught exceptions, failed requests. */
  readonly browserErrors: string[];
  /** Every axe finding, by page, whatever its impact (written to test-output/console/axe.json). */
  readonly axeFindings: Record<string, { id: string; impact: string | null | undefined; help: string; targets: string[] }[]>;
}

let world: World | undefined;
const current = (): World => {
  if (world === undefined) throw new Error('the console world did not start');
  return world;
};

const messagesOf = (from: number, count: number): string[] =>
  Array.from({ length: count }, (_, index) =>
    JSON.stringify({ id: from + index, name: `customer-${from + index}`, amount: from + index + 0.5, meta: { source: 'console' } }),
  );

test.before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (scripts/test.sh does)`);
  const brokers = testServer('TEST_KAFKA_BROKERS');
  testServer('TEST_PG_URL');
  // Its own build of the console: another suite may rebuild dist/ (and remove dist/console/) meanwhile.
  const consoleDir = join(tempDir(), 'console');
  await promisify(execFile)(process.execPath, ['scripts/buildConsole.mjs', consoleDir], { cwd: REPO_ROOT, timeout: 180_000 });
  const { api } = await startDataPlane({ POPSINK_CONSOLE_DIR: consoleDir });
  const suffix = randomUUID().slice(0, 8);
  const topic = `console-${suffix}`;
  await createTopic(brokers, topic, 1);
  await produce(brokers, topic, messagesOf(0, 10));

  await mkdir(SCREENSHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  const browserErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') browserErrors.push(`console: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => browserErrors.push(`uncaught: ${error.message}`));
  page.on('requestfailed', (request) => {
    // A request the page itself dropped (a WebSocket closed on leaving a page, a poll cut short by navigation) is not a failure.
    const reason = request.failure()?.errorText ?? '';
    if (reason !== 'net::ERR_ABORTED') browserErrors.push(`request failed: ${request.method()} ${request.url()} ${reason}`);
  });
  world = {
    api,
    base: api.url.replace(/\/api$/, ''),
    brokers,
    topic,
    table: `console_${suffix}`,
    browser,
    context,
    page,
    browserErrors,
    axeFindings: {},
  };
});

test.after.always(async () => {
  if (world === undefined) return;
  await writeFile(join(SCREENSHOTS, 'axe.json'), `${JSON.stringify(world.axeFindings, null, 2)}\n`);
  await world.browser.close();
  await world.api.stop();
});

test.afterEach.always(async (t) => {
  if (!t.passed && world !== undefined)
    await world.page.screenshot({ path: join(SCREENSHOTS, `failed-${t.title.replaceAll(/[^a-z0-9]+/gi, '-')}.png`), fullPage: true });
});

/** Saves a screenshot of the page and runs axe on it; fails on a serious or critical violation, records the others. */
async function checkPage(t: ExecutionContext, name: string): Promise<void> {
  const { page, axeFindings } = current();
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const results = await new AxeBuilder({ page }).analyze();
  axeFindings[name] = results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    targets: violation.nodes.map((node) => node.target.join(' ')),
  }));
  const blocking = results.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
  t.deepEqual(
    blocking.map(
      (violation) =>
        `${violation.impact}: ${violation.id} (${violation.help}) at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    ),
    [],
    `axe on the ${name} page`,
  );
}

function noBrowserErrors(t: ExecutionContext): void {
  t.deepEqual(current().browserErrors, [], 'the browser reported errors');
}

/** Waits until an element showing this text (or matching it) is visible. */
const shows = (page: Page, text: string | RegExp): Promise<void> => page.getByText(text).first().waitFor({ state: 'visible' });

test.serial('signs in', async (t) => {
  t.timeout(STEP_MS * 3);
  const { page, base } = current();
  await page.goto(`${base}/`);
  await page.getByRole('heading', { name: 'Sign in to Popsink' }).waitFor();
  await checkPage(t, 'sign-in');
  // From the keyboard alone: the email field comes first, Enter submits.
  await page.keyboard.press('Tab');
  await page.keyboard.type(ADMIN.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(ADMIN.password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Pipelines' }).waitFor();
  await page.getByRole('list', { name: 'Pipelines by state' }).waitFor();
  await checkPage(t, 'pipelines');
  noBrowserErrors(t);
});

test.serial('creates a Kafka to PostgreSQL pipeline through the wizard, and dry-runs it', async (t) => {
  t.timeout(STEP_MS * 8);
  const { page, brokers, topic, table } = current();
  await page.getByRole('link', { name: 'New pipeline' }).click();
  await page.getByRole('heading', { name: 'New pipeline' }).waitFor();

  // Source: a new Kafka connector, checked, its topics listed and sampled.
  await page.getByLabel('Connector name', { exact: true }).fill(`${table}-source`);
  await page.getByLabel('Bootstrap servers', { exact: true }).fill(brokers);
  await page.getByLabel('Topic', { exact: true }).fill(topic);
  await page.getByRole('button', { name: 'Check connection' }).click();
  await shows(page, 'The Kafka cluster answered: the connection works.');
  await page.getByRole('button', { name: 'List topics' }).click();
  await shows(page, /topics? found/);
  await page.getByRole('button', { name: topic, exact: true }).waitFor();
  await page.getByRole('button', { name: 'Fetch sample messages' }).click();
  await shows(page, 'sample messages fetched.');
  await page.getByRole('table', { name: 'Sample messages' }).waitFor();
  await checkPage(t, 'wizard-source');

  // Target: a new PostgreSQL connector, its credentials checked.
  await page.getByRole('button', { name: 'Next: Target' }).click();
  await page.getByRole('heading', { name: 'Target', exact: true }).waitFor();
  const pg = pgUrl();
  await page.getByLabel('Connector name', { exact: true }).fill(`${table}-target`);
  await page.getByLabel('Host', { exact: true }).fill(pg.hostname);
  await page.getByLabel('Port', { exact: true }).fill(pg.port);
  await page.getByLabel('Database', { exact: true }).fill(pg.pathname.slice(1));
  await page.getByLabel('User', { exact: true }).fill(decodeURIComponent(pg.username));
  await page.getByLabel('Password', { exact: true }).fill(decodeURIComponent(pg.password));
  await page.getByLabel('Target table', { exact: true }).fill(table);
  await page.getByRole('button', { name: 'Check credentials' }).click();
  await shows(page, 'The target answered: the credentials work.');
  await checkPage(t, 'wizard-target');

  // Mapper: columns suggested from the sample, previewed through /api/smt/process_mapper.
  await page.getByRole('button', { name: 'Next: Mapper' }).click();
  await page.getByRole('heading', { name: 'Mapper' }).waitFor();
  await page.getByRole('button', { name: 'Suggest columns from the first sample' }).click();
  await page.getByRole('group', { name: 'Column 1' }).waitFor();
  const preview = page.getByRole('table', { name: 'Mapped rows' });
  await preview.waitFor();
  await preview
    .getByRole('cell', { name: /^customer-\d+$/ })
    .first()
    .waitFor();
  await checkPage(t, 'wizard-mapper');

  // Review: named, created (a draft), then tried against the real target.
  await page.getByRole('button', { name: 'Next: Review and create' }).click();
  await page.getByLabel('Pipeline name', { exact: true }).fill(`${table}-pipeline`);
  await page.getByRole('button', { name: 'Create pipeline' }).click();
  await shows(page, `Pipeline ${table}-pipeline was created, as a draft.`);
  await page.getByRole('button', { name: 'Dry run against the target' }).click();
  await shows(page, 'The target accepted the trial.');
  await page.getByRole('table', { name: 'Messages tried' }).waitFor();
  await checkPage(t, 'wizard-created');
  noBrowserErrors(t);
});

test.serial('starts the pipeline, sees it live, its message count grow and a log line arrive, then pauses it', async (t) => {
  t.timeout(LIVE_MS * 3);
  const { page, brokers, topic, table } = current();
  await page.getByRole('link', { name: `Open pipeline ${table}-pipeline` }).click();
  await page.getByRole('heading', { name: `${table}-pipeline` }).waitFor();
  const state = page.locator('.pipeline-state .badge');
  await state.getByText('draft', { exact: true }).waitFor();
  await checkPage(t, 'pipeline-draft');

  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await state.getByText('live', { exact: true }).waitFor({ timeout: LIVE_MS });

  // The backfill reads the 10 messages produced before; then 25 more arrive while the page is open.
  const messagesIn = page.locator('[data-figure="messages-in"]');
  const countOf = async (): Promise<number> => Number((await messagesIn.textContent({ timeout: STEP_MS })) ?? Number.NaN);
  await until('the 10 backfilled messages to show', countOf, (count) => count >= 10, LIVE_MS);
  const before = await countOf();
  await produce(brokers, topic, messagesOf(10, 25));
  await until(`the message count to grow past ${before}`, countOf, (count) => count >= before + 25, LIVE_MS);

  await page.getByRole('log', { name: 'Pipeline log lines' }).getByRole('listitem').first().waitFor({ timeout: LIVE_MS });
  await shows(page, 'Stream: connected');
  await checkPage(t, 'pipeline-live');

  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await state.getByText('paused', { exact: true }).waitFor({ timeout: LIVE_MS });
  await checkPage(t, 'pipeline-paused');
  noBrowserErrors(t);
});

test.serial('connectors, datamodels, the audit log and the team page pass axe', async (t) => {
  t.timeout(STEP_MS * 6);
  const { page, table } = current();
  const nav = page.getByRole('navigation', { name: 'Sections' });

  await nav.getByRole('link', { name: 'Connectors' }).click();
  await page.getByRole('heading', { name: 'Connectors' }).waitFor();
  await page.getByRole('button', { name: `${table}-target` }).click();
  await page.getByRole('heading', { name: `${table}-target` }).waitFor();
  await shows(page, '********');
  await checkPage(t, 'connectors');

  await nav.getByRole('link', { name: 'Datamodels' }).click();
  await page.getByRole('heading', { name: 'Datamodels' }).waitFor();
  await page
    .getByRole('button', { name: /^Schema of / })
    .first()
    .click();
  await page.getByRole('region', { name: 'Schema columns' }).getByRole('cell', { name: 'id', exact: true }).waitFor();
  await checkPage(t, 'datamodels');

  await nav.getByRole('link', { name: 'Audit log' }).click();
  await page.getByRole('heading', { name: 'Audit log' }).waitFor();
  await page.getByRole('cell', { name: 'PipelineStarted', exact: true }).first().waitFor();
  await checkPage(t, 'audit-log');

  await nav.getByRole('link', { name: 'Team' }).click();
  await page.getByRole('heading', { name: /^Members of / }).waitFor();
  await page.getByRole('region', { name: 'User accounts' }).getByText(ADMIN.email).waitFor();
  await checkPage(t, 'team');
  noBrowserErrors(t);
});

test.serial('a narrow screen: the pipeline page reflows, the pipelines list stays readable', async (t) => {
  t.timeout(STEP_MS * 4);
  const { page, table } = current();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Pipelines' }).click();
  await page.getByRole('link', { name: `${table}-pipeline` }).click();
  await page.getByRole('heading', { name: `${table}-pipeline` }).waitFor();
  await checkPage(t, 'pipeline-narrow');
  await page.goBack();
  await page.getByRole('heading', { name: 'Pipelines' }).waitFor();
  await checkPage(t, 'pipelines-narrow');

  // Signing out ends the session: the sign-in page again, and the token gone from sessionStorage.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to Popsink' }).waitFor();
  t.is(await page.evaluate<number>('sessionStorage.length'), 0);
  noBrowserErrors(t);
});
