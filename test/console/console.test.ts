import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Kafka, logLevel } from 'kafkajs';
import { startE2eStack, type E2eStack } from '../support/e2e-stack.ts';
import { buildConsole, firstLoadJs } from './console-build.ts';
import { formatBytes, formatRate } from '../../apps/console/src/lib/format.ts';
import { fieldError, launchBrowser, overflowsHorizontally, screenshot, seriousA11yViolations } from './browser.ts';

// The web console in a real browser (Debian's chromium through playwright-core) against the real
// stack: the API serving the console's build, PostgreSQL, Redis, and the operator running brokers
// with the local runtime. One build and one browser for every test of this file (CI time).
const ADMIN_KEY = 'trib_console_admin_key_0123456789abcdef';
const FIRST_LOAD_BUDGET = 300 * 1024;
const RUNNING_WITHIN_MS = 120_000;
const READY_WITHIN_MS = 120_000;
// A test of a dozen page loads: under a load of 30 on this 2-core machine two such tests ran past
// vitest's default 30 s (2026-12-02); idle they take 5–25 s.
const PAGES_MS = 90_000;

let dir: string;
let stack: E2eStack;
let browser: Browser;
let base: string;
const contexts: BrowserContext[] = [];
const keys: Record<'viewer' | 'operator' | 'billing', string> = { viewer: '', operator: '', billing: '' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-console-'));
  // The API reads the build's index.html as it starts, so the stack waits for the build; the
  // browser launches meanwhile.
  const [started, launched] = await Promise.all([
    buildConsole(join(dir, 'dist')).then(() =>
      // The thousand-topics test creates 1,000 topics through the API in seconds on an idle machine,
      // past the API's 600 requests per key and minute (a fresh-clone CI run got 429 there).
      startE2eStack({ key: ADMIN_KEY, etcd: false, stopGraceMs: 10_000, listen: true, consoleDir: join(dir, 'dist'), lagSampleMs: 5_000, rateLimitMax: 5_000 })),
    launchBrowser(),
  ]);
  stack = started;
  browser = launched;
  base = stack.url!;
  for (const role of ['viewer', 'operator', 'billing'] as const) {
    const res = await stack.api('POST', '/v1/api-keys', { name: `console-${role}`, role });
    expect(res.statusCode).toBe(201);
    keys[role] = res.json().secret as string;
  }
}, 240_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 90_000);

// A failed test leaves a picture of every open page beside the other screenshots.
afterEach(async (ctx) => {
  if (ctx.task.result?.state !== 'fail') return;
  let n = 0;
  for (const c of contexts) for (const p of c.pages()) await screenshot(p, `failed-${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}-${n++}`).catch(() => {});
});

async function newPage(width = 1280, colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  return page;
}

async function signIn(page: Page, key: string) {
  await page.goto(`${base}/sign-in`);
  await page.getByLabel('API key', { exact: true }).fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Instances' }).waitFor();
}

async function until(probe: () => Promise<boolean>, what: string, ms: number) {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function expectAccessible(page: Page, screen: string, within?: string) {
  const found = await seriousA11yViolations(page, within);
  expect(found, `${screen}: ${JSON.stringify(found, null, 1)}`).toEqual([]);
}

describe('build and serving', () => {
  it('first load is at most 300 KB of gzipped JavaScript', () => {
    const { files, totalGzipBytes } = firstLoadJs(join(dir, 'dist'));
    expect(files.length).toBeGreaterThan(0);
    console.log(`console first load: ${files.map((f) => `${f.file} ${f.gzipBytes} B`).join(', ')}; total ${(totalGzipBytes / 1024).toFixed(1)} KiB gzipped`);
    expect(totalGzipBytes).toBeLessThanOrEqual(FIRST_LOAD_BUDGET);
  });

  it('serves index.html for deep links with a CSP, assets without a key, and keeps /v1 default-deny', async () => {
    const page = await fetch(`${base}/instances/ins-x/topics/orders`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await page.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${base}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toMatch(/immutable/);
    expect((await fetch(`${base}/v1/instances`)).status).toBe(401);
    expect((await fetch(`${base}/not-a-console-page`)).status).toBe(401);
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);
  });
});

describe('sign-in', () => {
  it('refuses an unknown key beside the field, keeps a good one for the tab only, and sign-out forgets it', { timeout: PAGES_MS }, async () => {
    const page = await newPage();
    await page.goto(`${base}/instances`);
    await page.waitForURL(/\/sign-in\?next=%2Finstances/);
    await expectAccessible(page, 'sign-in');
    await page.getByLabel('API key', { exact: true }).fill('trb_000000000000_notakey');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('This API key is unknown or revoked.').waitFor();
    expect(await fieldError(page, 'API key')).toBe('This API key is unknown or revoked.');
    await screenshot(page, 'sign-in-error');

    await page.getByLabel('API key', { exact: true }).fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Instances' }).waitFor();
    expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual(['tributary.session']);
    expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('tributary')))).toEqual([]);
    // The empty state, before any instance exists.
    await page.getByTestId('empty-state').getByText('No instances yet').waitFor();
    await expectAccessible(page, 'instances (empty)');
    await screenshot(page, 'instances-empty');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.goto(`${base}/instances`);
    await page.waitForURL(/\/sign-in/);
  });
});

describe('price calculator', () => {
  it('prices a size before anything exists (the API\'s quote and lines), keeps it in the URL, shows a refused size beside its field, and "Create with this" opens the create form with that size', { timeout: PAGES_MS }, async () => {
    const page = await newPage();
    await signIn(page, ADMIN_KEY);
    await page.getByRole('link', { name: 'Price calculator' }).click();
    await page.getByRole('heading', { name: 'Price calculator' }).waitFor();
    // Quick edits on a slow machine: with a CPU five times slower, each edit arrives before the last
    // one's render, and the calculator must keep them all (it once lost the brokers in the project's CI).
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 5 });
    await page.getByLabel('Brokers', { exact: true }).fill('3');
    await page.getByLabel('Disk (GiB)', { exact: true }).fill('500');
    await page.getByRole('combobox', { name: 'Billing' }).click();
    await page.getByRole('option', { name: 'Prepaid (months)' }).click();
    await page.getByLabel('Period (months)', { exact: true }).fill('3');
    await page.waitForURL(/brokers=3&diskGiB=500&periodMonths=3&mode=prepaid/);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    const spec = { zone: 'zone-a', brokers: 3, bandwidthMBps: 40, diskGiB: 500, partitionLimit: 100, topicLimit: 50, consumerGroupLimit: 50, billing: { mode: 'prepaid', periodMonths: 3, autoRenew: false } };
    const asked = await stack.api('POST', '/v1/billing/quotes', { kind: 'create', spec });
    expect(asked.statusCode).toBe(200);
    const expected = asked.json() as { totalMinor: number; currency: string; lines: { code: string }[] };
    expect(expected.currency).toBe('USD'); // two decimals: the shown total's digits are its minor units
    const total = page.getByTestId('quote-total');
    await until(async () => ((await total.textContent().catch(() => '')) ?? '').replace(/\D/g, '') === String(expected.totalMinor), `the quote's total ${expected.totalMinor}`, 20_000);
    await page.getByRole('region', { name: 'Price quote' }).getByText(/now for 3 month/).waitFor();
    const lines = page.getByRole('table', { name: 'Quote lines' });
    expect(await lines.locator('tbody tr td:first-child').allTextContents()).toEqual(expected.lines.map((l) => l.code));
    await expectAccessible(page, 'price calculator');
    await screenshot(page, 'price-calculator');

    // The size is the URL: a reload (or a shared link) shows the same quote.
    await page.reload();
    expect(await page.getByLabel('Brokers', { exact: true }).inputValue()).toBe('3');
    await until(async () => ((await total.textContent().catch(() => '')) ?? '').replace(/\D/g, '') === String(expected.totalMinor), 'the same total after a reload', 20_000);
    // A disk off the 100 GiB steps: the API's message beside the field, and no way on to create.
    await page.getByLabel('Disk (GiB)', { exact: true }).fill('150');
    await until(async () => /100/.test((await fieldError(page, 'Disk (GiB)')) ?? ''), 'the disk refused beside its field', 20_000);
    expect(await page.getByRole('link', { name: 'Create with this' }).count()).toBe(0);
    await page.getByLabel('Disk (GiB)', { exact: true }).fill('500');
    await page.getByRole('link', { name: 'Create with this' }).click();
    await page.getByRole('heading', { name: 'Create instance' }).waitFor();
    expect(await page.getByLabel('Brokers', { exact: true }).inputValue()).toBe('3');
    expect(await page.getByLabel('Disk (GiB)', { exact: true }).inputValue()).toBe('500');
    expect(await page.getByLabel('Period (months)', { exact: true }).inputValue()).toBe('3');
    await page.getByRole('region', { name: 'Price quote' }).getByText(/now for 3 month/).waitFor();

    // Every role may ask a price; only those that create instances are offered to create one.
    const viewer = await newPage();
    await signIn(viewer, keys.viewer);
    await viewer.getByRole('link', { name: 'Price calculator' }).click();
    await viewer.getByRole('region', { name: 'Price quote' }).getByText(/per hour/).waitFor();
    expect(await viewer.getByRole('link', { name: 'Create with this' }).count()).toBe(0);
  });
});

describe('journey: instance → topic → delete', () => {
  let page: Page;
  let instanceUrl = '';
  let password = '';

  it('creates an instance (a field error is shown beside its field first) and watches it reach Running', { timeout: RUNNING_WITHIN_MS + 60_000 }, async () => {
    page = await newPage();
    await signIn(page, ADMIN_KEY);
    await page.getByRole('link', { name: 'Create instance' }).click();
    await page.getByRole('heading', { name: 'Create instance' }).waitFor();
    // The live quote from POST /v1/billing/quotes, and a new one when the size changes.
    const quote = page.getByRole('region', { name: 'Price quote' });
    await quote.getByText(/per hour/).waitFor();
    const oneBroker = await quote.textContent();
    await page.getByLabel('Brokers', { exact: true }).fill('3');
    await until(async () => /per hour/.test((await quote.textContent()) ?? '') && (await quote.textContent()) !== oneBroker && !(await quote.textContent())!.includes('…'), 'a new quote for 3 brokers', 20_000);
    await page.getByLabel('Brokers', { exact: true }).fill('1');
    await page.getByLabel('Name', { exact: true }).fill('Bad_Name');
    await page.getByRole('button', { name: 'Create instance' }).click();
    await page.getByRole('alert').waitFor();
    expect(await fieldError(page, 'Name')).toMatch(/lowercase/);
    await expectAccessible(page, 'create instance (error)');
    await screenshot(page, 'instance-create-error');

    await page.getByLabel('Name', { exact: true }).fill('journey');
    // Prepaid for a month, so the overview can renew it later.
    await page.getByRole('combobox', { name: 'Billing' }).click();
    await page.getByRole('option', { name: 'Prepaid (months)' }).click();
    await quote.getByText(/now for 1 month/).waitFor();
    await page.getByRole('button', { name: 'Create instance' }).click();
    await page.waitForURL(/\/instances\/ins-[^/]+$/);
    instanceUrl = page.url();
    await page.getByRole('heading', { name: 'journey' }).waitFor();
    // Polled by the page itself while the phase settles; bounded by RUNNING_WITHIN_MS.
    await page.getByRole('heading', { name: 'journey' }).locator('xpath=..').getByText('Running', { exact: true }).waitFor({ timeout: RUNNING_WITHIN_MS });
    await page.getByLabel('Bootstrap servers', { exact: true }).waitFor();
    await page.getByText('SCRAM-SHA-512').first().waitFor();
    await page.getByText('instance.create').first().waitFor();
    await expectAccessible(page, 'instance overview');
    await screenshot(page, 'instance-overview');
  });

  it('lists topics (empty), creates one with a setting, and shows its partitions', { timeout: READY_WITHIN_MS + 60_000 }, async () => {
    await page.getByRole('tab', { name: 'Topics' }).click();
    await page.waitForURL(/\/topics$/);
    await page.getByTestId('empty-state').getByText('No topics yet').waitFor();
    await screenshot(page, 'topics-empty');
    await page.getByRole('link', { name: 'Create topic' }).click();
    await page.getByLabel('Name', { exact: true }).fill('orders');
    await page.getByLabel('Partitions', { exact: true }).fill('3');
    await page.getByRole('button', { name: 'Add setting' }).click();
    await page.getByLabel('Setting', { exact: true }).first().click();
    await page.getByRole('option', { name: 'retention.ms', exact: true }).click();
    await page.getByLabel('Value', { exact: true }).fill('not-a-number');
    await page.getByRole('button', { name: 'Create topic' }).click();
    await page.getByRole('alert').waitFor();
    expect(await fieldError(page, 'Value')).toMatch(/retention\.ms/);
    await screenshot(page, 'topic-create-error');
    await page.getByLabel('Value', { exact: true }).fill('86400000');
    await page.getByRole('button', { name: 'Create topic' }).click();
    await page.waitForURL(/\/topics\/orders$/);
    const rows = page.getByRole('table', { name: 'Partitions' }).locator('tbody tr');
    // The operator creates it on the brokers (bounded polling of the API, so a slow operator is told
    // apart from a page that does not update); the page polls the topic and then reads its partitions.
    const instanceId = instanceUrl.split('/').pop()!;
    await until(async () => (await stack.api('GET', `/v1/instances/${instanceId}/topics/orders`)).json().status?.phase === 'Ready', 'topic orders to be Ready', READY_WITHIN_MS);
    await rows.nth(2).waitFor({ timeout: 20_000 });
    expect(await rows.count()).toBe(3);
    await page.getByText('retention.ms=86400000').waitFor();
    await expectAccessible(page, 'topic detail');
    await screenshot(page, 'topic-detail');

    // A shared URL opens the same screen elsewhere: a fresh browser signs in first, then lands there.
    const elsewhere = await newPage();
    await elsewhere.goto(page.url());
    await elsewhere.waitForURL(/\/sign-in\?next=/);
    await elsewhere.getByLabel('API key', { exact: true }).fill(ADMIN_KEY);
    await elsewhere.getByRole('button', { name: 'Sign in' }).click();
    await elsewhere.getByRole('table', { name: 'Partitions' }).waitFor();
    expect(elsewhere.url()).toBe(page.url());

    await page.getByRole('tab', { name: 'Topics' }).click();
    await page.getByRole('table', { name: 'Topics' }).getByRole('link', { name: 'orders' }).waitFor();
    await screenshot(page, 'topics');
  });

  it('creates a SCRAM user (password shown once) and ACLs in Kafka\'s model, with field errors', { timeout: 60_000 }, async () => {
    await page.getByRole('tab', { name: 'Users & ACLs' }).click();
    await page.waitForURL(/\/access$/);
    await page.getByText('No users yet').waitFor();
    await page.getByLabel('New user name', { exact: true }).fill('orders-app');
    await page.getByRole('button', { name: 'Create user' }).click();
    const shown = page.getByRole('alert').filter({ hasText: 'shown once' });
    await shown.waitFor();
    password = (await page.getByLabel('password of orders-app', { exact: true }).textContent())!;
    expect(password).toMatch(/^[A-Za-z0-9]{24}$/);
    await page.getByRole('table', { name: 'Users' }).getByText('orders-app', { exact: true }).waitFor();
    await screenshot(page, 'user-created-password-once');
    await shown.getByRole('button', { name: 'Dismiss' }).click();
    expect(await page.getByText(password).count()).toBe(0);

    // A principal outside Kafka's User:<name> form: the API's message beside the field.
    await page.getByLabel('Resource name', { exact: true }).fill('orders');
    await page.getByLabel('Principal', { exact: true }).fill('orders-app');
    await page.getByRole('button', { name: 'Add ACL' }).click();
    await page.getByRole('alert').filter({ hasText: 'not added' }).waitFor();
    expect(await fieldError(page, 'Principal')).toMatch(/User:<name>/);
    await page.getByLabel('Principal', { exact: true }).fill('User:orders-app');
    await page.getByRole('combobox', { name: 'Operation' }).click();
    await page.getByRole('option', { name: 'ALL', exact: true }).click();
    await page.getByRole('button', { name: 'Add ACL' }).click();
    await page.getByRole('table', { name: 'ACLs' }).getByText('TOPIC orders').waitFor();
    await page.getByRole('combobox', { name: 'Resource type' }).click();
    await page.getByRole('option', { name: 'GROUP', exact: true }).click();
    await page.getByLabel('Resource name', { exact: true }).fill('console-group');
    await page.getByRole('combobox', { name: 'Operation' }).click();
    await page.getByRole('option', { name: 'READ', exact: true }).click();
    await page.getByRole('button', { name: 'Add ACL' }).click();
    await page.getByRole('table', { name: 'ACLs' }).getByText('GROUP console-group').waitFor();
    await expectAccessible(page, 'users and ACLs');
    await screenshot(page, 'users-acls');
  });

  it('shows a real kafkajs group\'s lag per partition and resets its offsets after a preview', { timeout: 180_000 }, async () => {
    await page.getByRole('tab', { name: 'Consumer groups' }).click();
    await page.getByText('No consumer groups').waitFor();
    await screenshot(page, 'groups-empty');
    const instanceId = instanceUrl.split('/').pop()!;
    const bootstrap = (await stack.api('GET', `/v1/instances/${instanceId}`)).json().status.bootstrapServers as string;
    const kafka = new Kafka({ clientId: 'console-test', brokers: bootstrap.split(','), sasl: { mechanism: 'scram-sha-512', username: 'orders-app', password }, logLevel: logLevel.NOTHING, retry: { retries: 3 } });
    const producer = kafka.producer();
    // The operator applies the user and each of its ACLs a moment after the API accepted them, one
    // by one: retry (bounded) until the topic's ACL lets it produce and the group's lets it describe
    // the group. A consumer joining before the group ACL gets GROUP_AUTHORIZATION_FAILED, which
    // kafkajs does not retry: its consumer stops (a fresh-clone CI run read nothing for 60 s).
    await until(async () => producer.connect().then(() => producer.send({ topic: 'orders', messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) })).then(() => true, () => false), 'orders-app to produce', 90_000);
    const admin = kafka.admin();
    await admin.connect();
    await until(async () => admin.describeGroups(['console-group']).then(() => true, () => false), 'orders-app to be allowed on console-group', 90_000);
    await admin.disconnect();
    const consumer = kafka.consumer({ groupId: 'console-group' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    let read = 0;
    // A crash that kafkajs does not restart from ends the wait with its error, not after the bound.
    let crashed: Error | undefined;
    consumer.on(consumer.events.CRASH, (e) => { if (!e.payload.restart) crashed = e.payload.error; });
    await consumer.run({ eachMessage: async () => { read++; } });
    await until(async () => {
      if (crashed) throw new Error(`the kafkajs consumer stopped: ${crashed.message}`);
      return read >= 10;
    }, 'the group to read 10 messages', 60_000);
    await consumer.disconnect(); // commits and leaves: the group is Empty and can be reset
    await producer.send({ topic: 'orders', messages: Array.from({ length: 5 }, (_, i) => ({ key: `n${i}`, value: `n${i}` })) });
    await producer.disconnect();

    await page.reload();
    const row = page.getByRole('table', { name: 'Consumer groups' }).getByRole('row').filter({ hasText: 'console-group' });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/Empty/);
    await row.getByRole('link', { name: 'console-group' }).click();
    const lag = page.getByRole('table', { name: 'Lag per partition' });
    await lag.waitFor();
    expect(await page.getByText('total lag 5').count()).toBe(1);
    // The API samples lag every 5 s here (a minute by default): the chart's data shows 5 for orders.
    const lagData = page.getByRole('table', { name: 'Lag of console-group per topic (data)' });
    const lagValues = async () => (await lagData.locator('tbody tr').allTextContents().catch(() => [] as string[]));
    await until(async () => (await lagValues()).some((r) => r.startsWith('orders') && r.endsWith('5')), 'a lag sample of 5 on the chart', 30_000);
    await page.getByRole('img', { name: 'Lag of console-group per topic' }).waitFor();
    await expectAccessible(page, 'consumer group');
    await screenshot(page, 'group-detail');

    const preview = page.getByRole('table', { name: 'Reset preview' });
    await preview.locator('tbody tr').nth(2).waitFor();
    // Earliest: every partition back to its start offset (0 here), the whole log as lag.
    const cells = await preview.locator('tbody tr td:nth-child(3)').allTextContents();
    expect(cells).toEqual(['0', '0', '0']);
    await screenshot(page, 'group-reset-preview');
    await page.getByRole('button', { name: 'Apply reset' }).click();
    await page.getByRole('alert').filter({ hasText: 'Offsets reset' }).waitFor();
    await page.getByText('total lag 15').waitFor({ timeout: 20_000 });
    // The reset shows on the chart as the next samples arrive (lag 15).
    await until(async () => (await lagValues()).some((r) => r.startsWith('orders') && r.endsWith('15')), 'a lag sample of 15 on the chart', 30_000);
    await screenshot(page, 'group-lag-chart');
  });

  it('message browser: an ACL denial explained, then read pages, view one record, send, search with progress and resume, live tail, export', { timeout: 180_000 }, async () => {
    const instanceId = instanceUrl.split('/').pop()!;
    await page.goto(`${instanceUrl}/topics/orders/messages`);
    await page.getByRole('tab', { name: 'Messages', selected: true }).waitFor();
    // The API reads as the key's own Kafka principal, which no ACL allows yet: the problem names it.
    await page.getByRole('button', { name: 'Read', exact: true }).click();
    const denied = page.getByRole('alert').filter({ hasText: 'kafka-acl-denied' });
    await denied.waitFor();
    const principal = /User:(tributary-api\.[\w.-]+)/.exec((await denied.textContent())!)?.[1];
    expect(principal).toBeDefined();
    await screenshot(page, 'messages-acl-denied');
    // GET /v1/me told the console the same principal; one click allows it on this topic.
    await page.getByText(`User:${principal}`, { exact: true }).first().waitFor();
    await page.getByRole('button', { name: 'Allow it to read and write orders' }).click();
    await page.getByRole('alert').filter({ hasText: 'ACLs added' }).waitFor();
    const acls = (await stack.api('GET', `/v1/instances/${instanceId}/acls?limit=200`)).json().items as { principal: string; operation: string; resourceName: string }[];
    expect(acls.filter((a) => a.principal === `User:${principal}`).map((a) => `${a.operation} ${a.resourceName}`).sort()).toEqual(['READ orders', 'WRITE orders']);
    // The operator applies the ACL to the brokers a moment later: retry from the alert (bounded).
    const table = page.getByRole('table', { name: 'Messages' });
    await until(async () => {
      if (await table.count()) return true;
      await page.getByRole('button', { name: 'Try again' }).click({ timeout: 5_000 }).catch(() => {});
      return table.waitFor({ timeout: 3_000 }).then(() => true, () => false);
    }, 'the ACL to let the key read', 60_000);

    // 15 records (10 + 5 from the consumer-group test): pages of 10, then the rest.
    await page.getByLabel('Per page', { exact: true }).fill('10');
    await page.getByRole('button', { name: 'Read', exact: true }).click();
    await until(async () => (await table.locator('tbody tr').count()) === 10, '10 records on the first page', 20_000);
    await page.getByRole('button', { name: 'Next page' }).click();
    await until(async () => (await table.locator('tbody tr').count()) === 15, '15 records after the next page', 20_000);
    expect(await page.getByRole('button', { name: 'Next page' }).count()).toBe(0);
    const keys = await table.locator('tbody tr td:nth-child(4)').allTextContents();
    expect(keys.sort()).toEqual([...Array.from({ length: 10 }, (_, i) => `k${i}`), ...Array.from({ length: 5 }, (_, i) => `n${i}`)].sort());
    await expectAccessible(page, 'message browser');
    await screenshot(page, 'messages-browse');

    // One record whole, then as base64.
    const first = (await table.locator('tbody tr').first().locator('td').allTextContents());
    await page.getByRole('button', { name: `View record ${first[0]}:${first[1]}` }).click();
    const dialog = page.getByRole('dialog');
    await until(async () => (await dialog.getByLabel('Record key').textContent()) === first[3], 'the record\'s key', 20_000);
    const value = (await dialog.getByLabel('Record value').textContent())!;
    expect(value).toMatch(/^[vn]\d$/);
    await dialog.getByText('Base64', { exact: true }).click();
    await until(async () => (await dialog.getByLabel('Record value').textContent()) === Buffer.from(value).toString('base64'), 'the value as base64', 20_000);
    await expectAccessible(page, 'record view', '[role="dialog"]');
    await screenshot(page, 'messages-record');
    await dialog.getByRole('button', { name: 'Close' }).click();

    // Send: bad JSON is refused beside the field before anything is sent; then a JSON record with a header.
    await page.getByRole('radiogroup', { name: 'Message browser mode' }).getByText('Send').click();
    await page.getByLabel('Key', { exact: true }).fill('order-7');
    await page.getByLabel('Value', { exact: true }).fill('{bad');
    await page.getByRole('button', { name: 'Send message' }).click();
    expect(await fieldError(page, 'Value')).toMatch(/not JSON/);
    await page.getByLabel('Value', { exact: true }).fill('{"status":"failed","id":7}');
    await page.getByRole('button', { name: 'Add header' }).click();
    await page.getByLabel('Header 1 name', { exact: true }).fill('source');
    await page.getByLabel('Header 1 value', { exact: true }).fill('console');
    await page.getByRole('button', { name: 'Send message' }).click();
    const sent = page.getByRole('alert').filter({ hasText: 'Written to partition' });
    await sent.waitFor();
    await expectAccessible(page, 'send a message');
    await sent.getByRole('button', { name: 'View it' }).click();
    await until(async () => ((await dialog.getByLabel('Record value').textContent()) ?? '').includes('"failed"'), 'the sent record', 20_000);
    await dialog.getByRole('table', { name: 'Record headers' }).getByText('console').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();

    // Search: 4 records scanned per step, so it pauses and is continued until complete.
    await page.getByRole('radiogroup', { name: 'Message browser mode' }).getByText('Search').click();
    await page.getByLabel('Key filter', { exact: true }).fill('n');
    await page.getByLabel('Records scanned per step', { exact: true }).fill('4');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const progress = page.getByTestId('search-progress');
    await progress.getByText(/Search paused/).waitFor();
    await screenshot(page, 'messages-search-paused');
    for (let i = 0; i < 10 && !/Search complete/.test((await progress.textContent()) ?? ''); i++) {
      const before = await progress.textContent();
      await page.getByRole('button', { name: 'Continue search' }).click();
      await until(async () => (await progress.textContent()) !== before, 'the next search step', 20_000);
    }
    expect(await progress.textContent()).toMatch(/Search complete: 16 records scanned, 5 matched/);
    expect((await page.getByRole('table', { name: 'Search matches' }).locator('tbody tr td:nth-child(4)').allTextContents()).sort()).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    await expectAccessible(page, 'search');
    await page.getByLabel('Key filter', { exact: true }).fill('');
    await page.getByLabel('JSON path', { exact: true }).fill('$.status');
    await page.getByLabel('JSON path equals', { exact: true }).fill('"failed"');
    await page.getByLabel('Records scanned per step', { exact: true }).fill('1000');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await progress.getByText('Search complete: 16 records scanned, 1 matched').waitFor();
    await screenshot(page, 'messages-search');

    // Live tail: a record written while following appears without a reload.
    await page.getByRole('radiogroup', { name: 'Message browser mode' }).getByText('Live tail').click();
    await page.getByRole('button', { name: 'Start tail' }).click();
    const tailStatus = page.getByTestId('tail-status');
    await tailStatus.getByText(/Following as User:tributary-api\./).waitFor();
    expect((await stack.api('POST', `/v1/instances/${instanceId}/topics/orders/messages`, { key: { encoding: 'text', data: 'live-key' }, value: { encoding: 'text', data: 'live-1' } })).statusCode).toBe(201);
    await page.getByRole('table', { name: 'Live records' }).getByText('live-1').waitFor({ timeout: 30_000 });
    await expectAccessible(page, 'live tail');
    await screenshot(page, 'messages-tail');
    await page.getByRole('button', { name: 'Stop tail' }).click();
    await tailStatus.getByText(/Tail ended \(stopped\)/).waitFor();

    // Export: the whole topic as NDJSON, downloaded by the browser.
    await page.getByRole('radiogroup', { name: 'Message browser mode' }).getByText('Browse').click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export NDJSON' }).click()]);
    const file = join(dir, 'export.ndjson');
    await download.saveAs(file);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { key: { data: string } | null });
    expect(lines.length).toBe(17);
    expect(lines.map((l) => l.key?.data)).toContain('live-key');
  });

  it('topic list: each topic\'s size and message rate as the API sampled them, sortable both ways', { timeout: READY_WITHIN_MS + 60_000 }, async () => {
    const instanceId = instanceUrl.split('/').pop()!;
    // A second, empty topic to sort against the one the message browser wrote to.
    const made = await stack.api('POST', `/v1/instances/${instanceId}/topics`, { name: 'audit-empty', partitions: 1, replicationFactor: 1, configs: {}, labels: {} });
    expect(made.statusCode, made.body).toBe(202);
    type Stats = { sizeBytes: number; messagesPerSecond: number | null } | null;
    const apiStats = async () => new Map(((await stack.api('GET', `/v1/instances/${instanceId}/topics`)).json().items as { name: string; stats: Stats }[]).map((t) => [t.name, t.stats]));
    // The stack samples every 5 s: both topics get a size once the operator made the empty one (bounded).
    await until(async () => { const m = await apiStats(); return m.get('orders')?.sizeBytes !== undefined && m.get('audit-empty')?.sizeBytes !== undefined; }, 'both topics sampled', READY_WITHIN_MS);
    await page.goto(`${instanceUrl}/topics`);
    const table = page.getByRole('table', { name: 'Topics' });
    const cells = async (name: string) => (await table.getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) }).locator('td').allTextContents());
    // What the page shows equals what the API serves (read again until a sample between the two reads does not move it).
    await until(async () => {
      await page.reload();
      await table.getByRole('link', { name: 'audit-empty', exact: true }).waitFor();
      const m = await apiStats();
      const [orders, empty] = [await cells('orders'), await cells('audit-empty')];
      return orders[4] === formatBytes(m.get('orders')!.sizeBytes) && orders[5] === formatRate(m.get('orders')!.messagesPerSecond)
        && empty[4] === '0 B' && empty[5] === formatRate(m.get('audit-empty')!.messagesPerSecond);
    }, 'the list\'s size and rate equal to the API\'s', 30_000);
    // The sampled size is the topic's partitions' as the brokers report them live (the message browser's records).
    const live = async () => ((await stack.api('GET', `/v1/instances/${instanceId}/topics/orders/partitions`)).json().partitions as { sizeBytes: number }[]).reduce((n, p) => n + p.sizeBytes, 0);
    expect(await live()).toBeGreaterThan(0);
    await until(async () => (await apiStats()).get('orders')!.sizeBytes === await live(), 'the sampled size equal to the live one', 30_000);
    const names = async () => table.locator('tbody tr td:first-child').allTextContents();
    await page.getByRole('button', { name: 'Sort by Size' }).click();
    expect(await names()).toEqual(['audit-empty', 'orders']);
    expect(await page.getByRole('columnheader', { name: /Size/ }).getAttribute('aria-sort')).toBe('ascending');
    await page.getByRole('button', { name: 'Sort by Size' }).click();
    expect(await names()).toEqual(['orders', 'audit-empty']);
    expect(await page.getByRole('columnheader', { name: /Size/ }).getAttribute('aria-sort')).toBe('descending');
    await expectAccessible(page, 'topic list');
    await screenshot(page, 'topics-sizes');
    const gone = await stack.api('DELETE', `/v1/instances/${instanceId}/topics/audit-empty`);
    expect(gone.statusCode, gone.body).toBeLessThan(300);
  });

  it('topic settings: edits are previewed as a diff, a bad value is refused beside its field, a removed key is unset', { timeout: 120_000 }, async () => {
    const instanceId = instanceUrl.split('/').pop()!;
    const phase = async () => (await stack.api('GET', `/v1/instances/${instanceId}/topics/orders`)).json().status?.phase as string;
    await page.goto(`${instanceUrl}/topics/orders/settings`);
    const value = page.getByLabel('Value', { exact: true });
    await value.first().waitFor();
    expect(await value.first().inputValue()).toBe('86400000');
    await value.first().fill('soon');
    await page.getByRole('button', { name: 'Add setting' }).click();
    await page.getByLabel('Setting', { exact: true }).nth(1).click();
    await page.getByRole('option', { name: 'max.message.bytes', exact: true }).click();
    await value.nth(1).fill('2097152');
    await page.getByRole('button', { name: 'Review changes' }).click();
    const changes = page.getByRole('table', { name: 'Settings changes' });
    expect((await changes.locator('tbody tr').allTextContents()).sort()).toEqual(['max.message.bytesdefault2097152', 'retention.ms86400000soon']);
    await page.getByRole('button', { name: 'Apply changes' }).click();
    await page.getByRole('alert').filter({ hasText: 'Settings not applied' }).waitFor();
    expect(await fieldError(page, value.first())).toMatch(/retention\.ms/);
    await screenshot(page, 'topic-settings-error');
    await value.first().fill('3600000');
    await page.getByRole('button', { name: 'Review changes' }).click();
    await expectAccessible(page, 'topic settings preview');
    await screenshot(page, 'topic-settings-preview');
    await page.getByRole('button', { name: 'Apply changes' }).click();
    await page.getByText('max.message.bytes=2097152').first().waitFor();
    await until(async () => (await phase()) === 'Ready', 'the settings to reach the brokers', 60_000);
    // Removing the row unsets the key (PUT replaces the configs): the preview says so.
    await page.getByRole('button', { name: 'Unset max.message.bytes' }).click();
    await page.getByRole('button', { name: 'Review changes' }).click();
    await changes.getByText('unset (broker default)').waitFor();
    await page.getByRole('button', { name: 'Apply changes' }).click();
    await until(async () => {
      const t = (await stack.api('GET', `/v1/instances/${instanceId}/topics/orders`)).json();
      return t.status?.phase === 'Ready' && t.configs['max.message.bytes'] === undefined && t.configs['retention.ms'] === '3600000';
    }, 'max.message.bytes to be unset', 60_000);
    await page.getByText('retention.ms=3600000', { exact: true }).waitFor();
  });

  it('quotas: client quotas (added, a rate refused beside its field, edited, deleted) and a consumer-group quota (added, edited: a concurrent change refused, then saved)', { timeout: 90_000 }, async () => {
    await page.goto(`${instanceUrl}/quotas`);
    await page.getByText('No client quotas').waitFor();
    await page.getByText('No consumer-group quotas.').waitFor();
    await screenshot(page, 'quotas-empty');
    await page.getByLabel('User', { exact: true }).fill('orders-app');
    await page.getByLabel('Produce rate', { exact: true }).fill('100');
    await page.getByRole('button', { name: 'Add quota' }).click();
    await page.getByRole('alert').filter({ hasText: 'not saved' }).waitFor();
    expect(await fieldError(page, 'Produce rate')).toMatch(/1024/);
    await page.getByLabel('Produce rate', { exact: true }).fill('1048576');
    await page.getByRole('button', { name: 'Add quota' }).click();
    const quotas = page.getByRole('table', { name: 'Client quotas' });
    const row = quotas.getByRole('row').filter({ hasText: 'user orders-app' });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/1\.00 MiB\/s/);
    await page.getByRole('button', { name: 'Edit quota of user orders-app' }).click();
    expect(await page.getByLabel('User', { exact: true }).isDisabled()).toBe(true);
    await page.getByLabel('Consume rate', { exact: true }).fill('2097152');
    await page.getByRole('button', { name: 'Save rates' }).click();
    await until(async () => /2\.00 MiB\/s/.test((await row.textContent()) ?? ''), 'the edited consume rate', 20_000);
    await page.getByLabel('Group', { exact: true }).fill('console-group');
    await page.getByLabel('Max members', { exact: true }).fill('5');
    await page.getByRole('button', { name: 'Add group quota' }).click();
    const groupRow = page.getByRole('table', { name: 'Consumer-group quotas' }).getByRole('row').filter({ hasText: 'console-group' });
    await groupRow.waitFor();
    // Editing sends the quota's ETag (If-Match): a change made meanwhile elsewhere is refused, not overwritten.
    await page.getByRole('button', { name: 'Edit group quota of console-group' }).click();
    expect(await page.getByLabel('Group', { exact: true }).isDisabled()).toBe(true);
    expect(await page.getByLabel('Max members', { exact: true }).inputValue()).toBe('5');
    const groupQuotasPath = `/v1/instances/${instanceUrl.split('/').pop()}/consumer-group-quotas`;
    const quotaId = (await stack.api('GET', groupQuotasPath)).json().items.find((q: { group: string }) => q.group === 'console-group').id as string;
    const meanwhile = await stack.api('PUT', `${groupQuotasPath}/${quotaId}`, { maxMembers: 6 });
    expect(meanwhile.statusCode, meanwhile.body).toBe(202);
    await page.getByLabel('Max members', { exact: true }).fill('8');
    await page.getByRole('button', { name: 'Save limits' }).click();
    expect(await page.getByRole('alert').filter({ hasText: 'not changed' }).textContent()).toMatch(/changed since it was read/);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await until(async () => /console-group\s*6/.test((await groupRow.textContent()) ?? ''), 'the concurrent change in the list', 20_000);
    await page.getByRole('button', { name: 'Edit group quota of console-group' }).click();
    await page.getByLabel('Max members', { exact: true }).fill('0');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await page.getByRole('alert').filter({ hasText: 'not changed' }).waitFor();
    expect(await fieldError(page, 'Max members')).toBeTruthy();
    await page.getByLabel('Max members', { exact: true }).fill('8');
    await page.getByLabel('Group consume rate', { exact: true }).fill('2097152');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await until(async () => /console-group\s*8\s*2\.00 MiB\/s/.test((await groupRow.textContent()) ?? ''), 'the edited group quota', 20_000);
    expect((await stack.api('GET', `${groupQuotasPath}/${quotaId}`)).json()).toMatchObject({ group: 'console-group', maxMembers: 8, consumerByteRate: 2097152 });
    await expectAccessible(page, 'quotas');
    await screenshot(page, 'quotas');
    await page.getByRole('button', { name: 'Delete quota of user orders-app' }).click();
    await page.getByText('No client quotas').waitFor();
  });

  it('rotates a SCRAM user\'s password from the users screen: the new one shown once works over SASL, the old one no longer does', { timeout: 150_000 }, async () => {
    const instanceId = instanceUrl.split('/').pop()!;
    await page.goto(`${instanceUrl}/access`);
    await page.getByRole('button', { name: 'Rotate password of orders-app' }).click();
    const shown = page.getByRole('alert').filter({ hasText: 'New password of orders-app' });
    await shown.waitFor();
    const rotated = (await page.getByLabel('password of orders-app', { exact: true }).textContent())!;
    expect(rotated).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(rotated).not.toBe(password);
    await expectAccessible(page, 'password rotated');
    await screenshot(page, 'user-password-rotated');
    await shown.getByRole('button', { name: 'Dismiss' }).click();
    expect(await page.getByText(rotated).count()).toBe(0);
    // Nothing of it is left in the browser's storage.
    expect(await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }))).not.toContain(rotated);
    const bootstrap = ((await stack.api('GET', `/v1/instances/${instanceId}`)).json().status.bootstrapServers as string).split(',');
    const connects = async (pw: string) => {
      const admin = new Kafka({ clientId: 'console-rotate', brokers: bootstrap, sasl: { mechanism: 'scram-sha-512', username: 'orders-app', password: pw }, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
      return admin.connect().then(async () => { await admin.disconnect(); return true; }, () => false);
    };
    // The operator applies the new credential a moment after the API accepted it (bounded).
    await until(() => connects(rotated), 'the new password to authenticate', 90_000);
    expect(await connects(password)).toBe(false);
  });

  it('dark mode and a tablet width keep the screens usable', { timeout: PAGES_MS }, async () => {
    const dark = await newPage(820, 'dark');
    await signIn(dark, ADMIN_KEY);
    await dark.goto(instanceUrl);
    await dark.getByRole('heading', { name: 'journey' }).waitFor();
    expect(await dark.evaluate(() => document.documentElement.getAttribute('data-mantine-color-scheme'))).toBe('dark');
    expect(await overflowsHorizontally(dark)).toBe(false);
    await expectAccessible(dark, 'instance overview (dark, tablet)');
    await screenshot(dark, 'instance-overview-dark-tablet');
    // The header's switch changes the scheme by itself.
    await dark.getByRole('button', { name: 'Switch to light mode' }).click();
    expect(await dark.evaluate(() => document.documentElement.getAttribute('data-mantine-color-scheme'))).toBe('light');
    expect(await overflowsHorizontally(page)).toBe(false);
  });

  it('a viewer sees every screen but no button that changes anything', { timeout: PAGES_MS }, async () => {
    const viewer = await newPage();
    await signIn(viewer, keys.viewer);
    await viewer.getByRole('table', { name: 'Instances' }).getByRole('link', { name: 'journey' }).waitFor();
    expect(await viewer.getByRole('link', { name: 'Create instance' }).count()).toBe(0);
    expect(await viewer.getByLabel('role viewer').count()).toBe(1);
    await viewer.goto(instanceUrl);
    await viewer.getByRole('heading', { name: 'Conditions' }).waitFor();
    expect(await viewer.getByRole('button', { name: /delete/i }).count()).toBe(0);
    // Scaling and renewing are not a viewer's (the operations timeline has loaded by now).
    await viewer.getByRole('heading', { name: 'Operations' }).waitFor();
    expect(await viewer.getByRole('heading', { name: /^(Scale|Renew)$/ }).count()).toBe(0);
    expect(await viewer.getByRole('button', { name: /apply change|renew/i }).count()).toBe(0);
    await viewer.goto(`${instanceUrl}/topics`);
    await viewer.getByRole('table', { name: 'Topics' }).getByRole('link', { name: 'orders' }).click();
    await viewer.getByRole('table', { name: 'Partitions' }).waitFor();
    expect(await viewer.getByRole('button', { name: /delete|add partitions/i }).count()).toBe(0);
    // Viewers read and search messages, never send.
    await viewer.getByRole('tab', { name: 'Messages' }).click();
    const modes = viewer.getByRole('radiogroup', { name: 'Message browser mode' });
    await modes.getByText('Live tail').waitFor();
    expect(await modes.getByText('Send').count()).toBe(0);
    await viewer.goto(`${instanceUrl}/quotas`);
    await viewer.getByRole('heading', { name: 'Client quotas' }).waitFor();
    expect(await viewer.getByRole('button', { name: /add quota|add group quota/i }).count()).toBe(0);
    await viewer.goto(`${instanceUrl}/access`);
    await viewer.getByRole('table', { name: 'ACLs' }).waitFor();
    expect(await viewer.getByRole('button', { name: /create user|add acl|delete/i }).count()).toBe(0);
    expect(await viewer.getByRole('link', { name: 'API keys' }).count()).toBe(0);
    await viewer.goto(`${instanceUrl}/topics/new`);
    await viewer.getByText('cannot create topics').waitFor();
    await screenshot(viewer, 'viewer-topic-detail');
    // An operator does see them (the gating is by role, not hiding everything).
    const operator = await newPage();
    await signIn(operator, keys.operator);
    await operator.goto(instanceUrl);
    await operator.getByRole('button', { name: 'Delete instance' }).waitFor();
    await operator.getByRole('heading', { name: 'Scale' }).waitFor();
  });

  it('API keys: the secret is shown once, the key works, revoking it ends it; the audit log names the key behind each change', { timeout: PAGES_MS }, async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.getByLabel('Key name', { exact: true }).fill('console-ci');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.getByLabel('secret of console-ci', { exact: true }).textContent())!;
    expect(secret).toMatch(/^trb_/);
    expect((await fetch(`${base}/v1/instances`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);
    await expectAccessible(page, 'API keys');
    await screenshot(page, 'api-keys-secret-once');
    await page.getByRole('button', { name: 'Revoke key console-ci' }).click();
    await until(async () => (await fetch(`${base}/v1/instances`, { headers: { authorization: `Bearer ${secret}` } })).status === 401, 'the revoked key to be refused', 20_000);
    await page.getByRole('link', { name: 'Audit log' }).click();
    const audit = page.getByRole('table', { name: 'Audit events' });
    await audit.getByText('instance.create').first().waitFor();
    // Who asked: the admin key's id (GET /v1/me) beside its changes, and the key revoked just now first.
    const me = (await stack.api('GET', '/v1/me')).json();
    expect(await audit.locator('tbody tr').first().textContent()).toMatch(/api-key\.revoke/);
    await audit.getByRole('row').filter({ hasText: 'instance.create' }).getByText(me.key.id).waitFor();
    await expectAccessible(page, 'audit log');
    await screenshot(page, 'audit-log');
    await page.getByRole('combobox', { name: 'What' }).click();
    await page.getByRole('option', { name: 'Message reads and sends' }).click();
    await until(async () => {
      const actions = await audit.locator('tbody tr td:nth-child(2)').allTextContents();
      return actions.length > 0 && actions.every((a) => a.startsWith('messages.')) && actions.includes('messages.send') && actions.includes('messages.search');
    }, 'only message events in the audit log', 20_000);
  });

  it('error states: a missing instance and a missing topic show the API problem with a retry', { timeout: PAGES_MS }, async () => {
    await page.goto(`${base}/instances/ins-doesnotexist`);
    const alert = page.getByRole('alert');
    await alert.getByText('Could not load the instance').waitFor();
    expect(await alert.textContent()).toMatch(/not-found/);
    await alert.getByRole('button', { name: 'Try again' }).waitFor();
    await screenshot(page, 'instance-not-found');
    await page.goto(`${instanceUrl}/topics/nosuchtopic`);
    await page.getByRole('alert').getByText('Could not load the topic').waitFor();
  });

  it('every screen a role may not use shows its error state or a read-only notice (never a blank page or a mutating control), and empty filters say so', { timeout: 90_000 }, async () => {
    const instanceId = instanceUrl.split('/').pop()!;
    // A problem shown as the page's error state: its title, the API's code, and a retry.
    const errorState = async (p: Page, title: string, code: string) => {
      const alert = p.getByRole('alert').filter({ hasText: title });
      await alert.waitFor();
      expect(await alert.textContent()).toContain(`code ${code}`);
      await alert.getByRole('button', { name: 'Try again' }).waitFor();
    };
    // Billing keys read billing, not an instance's contents: each tab's URL opened directly gets the API's 403.
    const billing = await newPage();
    await signIn(billing, keys.billing);
    expect(await billing.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    for (const [tab, title] of [['topics', 'Could not load topics'], ['groups', 'Could not load consumer groups'], ['access', 'Could not load users'], ['quotas', 'Could not load client quotas']] as const) {
      await billing.goto(`${instanceUrl}/${tab}`);
      await errorState(billing, title, 'forbidden');
      expect(await billing.getByRole('tab', { name: 'Topics' }).count()).toBe(0);
      expect(await billing.getByRole('button', { name: /^(create|add|delete)/i }).count()).toBe(0);
    }
    await billing.goto(`${base}/audit`);
    await errorState(billing, 'Could not load audit events', 'forbidden');
    await screenshot(billing, 'billing-key-audit-forbidden');
    // Viewers: billing, keys and creation are refused by the page itself (notices; the API refuses them too).
    const viewer = await newPage();
    await signIn(viewer, keys.viewer);
    await viewer.goto(`${base}/billing`);
    await viewer.getByText('cannot read billing').waitFor();
    expect(await viewer.getByRole('button', { name: /download/i }).count()).toBe(0);
    await viewer.goto(`${base}/api-keys`);
    await viewer.getByText('cannot manage API keys').waitFor();
    expect(await viewer.getByRole('button', { name: 'Create key' }).count()).toBe(0);
    await viewer.goto(`${base}/instances/new`);
    await viewer.getByText('cannot create instances').waitFor();
    expect(await viewer.getByRole('button', { name: 'Create instance' }).count()).toBe(0);
    await expectAccessible(viewer, 'read-only notice');
    // Missing things: a consumer group nobody has (404 from the brokers' answer), in its page's error state.
    await page.goto(`${instanceUrl}/groups/no-such-group`);
    await errorState(page, 'Could not load the consumer group', 'not-found');
    await expectAccessible(page, 'consumer group not found');
    await screenshot(page, 'group-not-found');
    // Empty results of a filter say what was asked, not "nothing exists".
    await page.goto(`${instanceUrl}/topics`);
    await page.getByLabel('Filter topics by name prefix').fill('zzz');
    await page.getByTestId('empty-state').getByText('No topic starts with “zzz”').waitFor();
    await page.goto(`${base}/audit`);
    await page.getByLabel('Target id', { exact: true }).fill(`${instanceId}/no-such-topic`);
    await page.getByText('Nothing matches.').waitFor();
    await screenshot(page, 'audit-nothing-matches');
  });

  it('renews the prepaid instance after a quote, and scales its disk with the change priced first', { timeout: 180_000 }, async () => {
    const instanceId = instanceUrl.split('/').pop()!;
    const expiry = async () => (await stack.api('GET', `/v1/instances/${instanceId}`)).json().billingState.expiresAt as string;
    const before = await expiry();
    await page.goto(instanceUrl);
    await page.getByTestId('renewal-quote').getByText(/for 1 month/).waitFor();
    await page.getByLabel('Months to add', { exact: true }).fill('2');
    await page.getByTestId('renewal-quote').getByText(/for 2 month/).waitFor();
    await page.getByRole('button', { name: 'Renew', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'Now prepaid until' }).waitFor();
    const after = await expiry();
    // Two months later (28 to 31 days each), whatever the calendar.
    const days = (Date.parse(after) - Date.parse(before)) / 86_400_000;
    expect(days).toBeGreaterThanOrEqual(59);
    expect(days).toBeLessThanOrEqual(62);
    await expectAccessible(page, 'renew');

    await page.getByLabel('Disk (GiB)', { exact: true }).fill('200');
    await page.getByRole('region', { name: 'Price of the change' }).getByText(/now for the rest of the period/).waitFor();
    await screenshot(page, 'instance-scale-quote');
    await page.getByRole('button', { name: 'Apply change' }).click();
    await page.getByRole('alert').filter({ hasText: 'Change accepted' }).waitFor();
    await page.getByRole('table', { name: 'Specification' }).getByText('200 GiB').waitFor();
    // The operator applies it; the page polls until the phase settles (bounded).
    await page.getByRole('heading', { name: 'journey' }).locator('xpath=..').getByText('Running', { exact: true }).waitFor({ timeout: RUNNING_WITHIN_MS });
    await expectAccessible(page, 'scale');
  });

  it('operations timeline: the data an operation moved between brokers (its progress) shows as a bar and in words', { timeout: PAGES_MS }, async () => {
    const instanceId = instanceUrl.split('/').pop()!;
    // The scale's operation, given the progress a rebalance records (the operator's store writes
    // operation_outcome.progress while replicas move: test/control-plane/operations-settle.test.ts).
    // Written here as that store writes it: a real rebalance needs the brokers' etcd cluster mode,
    // which this stack does not run.
    const ops = (await stack.api('GET', `/v1/operations?targetId=${instanceId}&limit=50`)).json().items as { id: string; kind: string; state: string }[];
    const scale = ops.find((o) => o.state === 'Succeeded' && o.kind !== 'instance.create') ?? ops.find((o) => o.state === 'Succeeded')!;
    const progress = { partitionsMoved: 6, partitionsTotal: 6, bytesMoved: 3 * 1048576, bytesTotal: 3 * 1048576, startedAt: new Date(Date.now() - 60_000).toISOString(), estimatedEndAt: new Date().toISOString(), throttleBytesPerSecond: 10 * 1048576 };
    await stack.store.db.operationOutcome.update({ where: { operationId: scale.id }, data: { progress } });
    expect((await stack.api('GET', `/v1/operations/${scale.id}`)).json().progress).toEqual(progress);
    await page.goto(instanceUrl);
    const shown = page.getByLabel('Operations timeline').getByTestId('operation-progress');
    await shown.waitFor();
    expect(await shown.textContent()).toBe('100% · 6 of 6 partitions moved · 3.00 MiB of 3.00 MiB copied · throttled to 10.0 MiB/s per broker');
    expect(await page.getByRole('progressbar', { name: `${scale.kind}: data moved` }).getAttribute('aria-valuenow')).toBe('100');
    await expectAccessible(page, 'operations with progress');
    await screenshot(page, 'operation-progress');
  });

  it('operations timeline: a rebalance still moving data has a Cancel button (not for a viewer) that asks the API to cancel it, and the cancel shows as its own operation', { timeout: PAGES_MS }, async () => {
    const instanceId = instanceUrl.split('/').pop()!;
    // A rebalance in flight as the operator records it (operation_outcome Running with progress),
    // written here for the reason the test above gives: this stack runs no etcd cluster mode.
    // Cancelling real moves on real brokers: test/control-plane/rebalance-cancel.test.ts. Its
    // generation is one the operator has not applied, so its passes leave the Running outcome as
    // written (a first run with the current generation saw it settled Succeeded under the button).
    const template = (await stack.store.db.operation.findFirst({ where: { targetId: instanceId }, orderBy: { createdAt: 'desc' } }))!;
    const progress = { partitionsMoved: 2, partitionsTotal: 6, bytesMoved: 1048576, bytesTotal: 3 * 1048576, startedAt: new Date(Date.now() - 30_000).toISOString(), estimatedEndAt: new Date(Date.now() + 60_000).toISOString(), throttleBytesPerSecond: 10 * 1048576 };
    const moving = await stack.store.db.operation.create({
      data: { id: `op-console-moving-${Date.now()}`, accountId: template.accountId, kind: 'instance.update', targetType: 'instance', targetId: instanceId, generation: template.generation + 1000, state: 'Pending', outcome: { create: { state: 'Running', progress } } },
    });
    expect((await stack.api('GET', `/v1/operations/${moving.id}`)).json()).toMatchObject({ state: 'Running', progress });

    const viewer = await newPage();
    await signIn(viewer, keys.viewer);
    await viewer.goto(instanceUrl);
    const viewerTimeline = viewer.getByLabel('Operations timeline');
    await viewerTimeline.getByTestId('operation-progress').filter({ hasText: '2 of 6 partitions moved' }).waitFor();
    expect(await viewerTimeline.getByRole('button', { name: /cancel/i }).count()).toBe(0);
    await viewer.context().close();

    const operator = await newPage();
    await signIn(operator, keys.operator);
    await operator.goto(instanceUrl);
    const timeline = operator.getByLabel('Operations timeline');
    await timeline.getByTestId('operation-progress').filter({ hasText: '2 of 6 partitions moved' }).waitFor();
    // Only the operation still moving data has the button (finished ones with progress do not).
    expect(await timeline.getByRole('button', { name: 'Cancel rebalance' }).count()).toBe(1);
    await timeline.getByRole('button', { name: 'Cancel rebalance' }).click();
    await timeline.getByRole('button', { name: 'Cancel requested' }).waitFor();
    // The API recorded the cancel (POST /v1/operations/{id}/cancel) as a rebalance.cancel operation
    // naming the one cancelled, and the timeline, read again, shows it.
    await timeline.getByText('rebalance.cancel', { exact: true }).waitFor();
    const ops = (await stack.api('GET', `/v1/operations?targetId=${instanceId}&limit=100`)).json().items as { id: string; kind: string }[];
    const cancels = ops.filter((o) => o.kind === 'rebalance.cancel');
    expect(cancels).toHaveLength(1);
    const audit = (await stack.api('GET', '/v1/audit-events?limit=50&action=rebalance.cancel')).json().items as { action: string; targetId: string; keyId: string; detail: Record<string, unknown> }[];
    expect(audit.map((e) => ({ targetId: e.targetId, detail: e.detail }))).toEqual([{ targetId: instanceId, detail: { cancels: moving.id } }]);
    await expectAccessible(operator, 'operations with a cancel');
    await screenshot(operator, 'operation-cancel');
    await operator.context().close();
    // The written rebalance goes again, so that no later test sees a timeline polling for it.
    await stack.store.db.operationOutcome.delete({ where: { operationId: moving.id } });
    await stack.store.db.operation.delete({ where: { id: moving.id } });
  });

  it('broker settings: an addition previewed as a diff, a bad value refused beside its field, then applied through the instance\'s spec and rolled out', { timeout: RUNNING_WITHIN_MS + 60_000 }, async () => {
    const instanceId = instanceUrl.split('/').pop()!;
    await page.goto(instanceUrl);
    await page.getByRole('heading', { name: 'Broker settings' }).waitFor();
    await page.getByRole('button', { name: 'Add setting' }).click();
    await page.getByLabel('Setting', { exact: true }).first().click();
    await page.getByRole('option', { name: 'log.retention.ms', exact: true }).click();
    await page.getByLabel('Value', { exact: true }).fill('soon');
    await page.getByRole('button', { name: 'Review changes' }).click();
    const preview = page.getByRole('table', { name: 'Broker settings changes' });
    expect(await preview.locator('tbody tr').allTextContents()).toEqual(['log.retention.msdefaultsoon']);
    await page.getByRole('button', { name: 'Apply changes' }).click();
    await page.getByRole('alert').filter({ hasText: 'Broker settings not applied' }).waitFor();
    expect(await fieldError(page, 'Value')).toMatch(/log\.retention\.ms/);
    await page.getByRole('button', { name: 'Back to editing' }).click();
    await page.getByLabel('Value', { exact: true }).fill('7200000');
    await page.getByRole('button', { name: 'Review changes' }).click();
    expect(await preview.locator('tbody tr').allTextContents()).toEqual(['log.retention.msdefault7200000']);
    await expectAccessible(page, 'broker settings preview');
    await screenshot(page, 'broker-settings-preview');
    await page.getByRole('button', { name: 'Apply changes' }).click();
    let generation = 0;
    await until(async () => {
      const i = (await stack.api('GET', `/v1/instances/${instanceId}`)).json();
      generation = i.generation;
      return i.spec.brokerConfig['log.retention.ms'] === '7200000';
    }, 'the setting in the instance\'s spec', 20_000);
    // The operator rolls the brokers onto it (this generation observed, Running again; bounded), and the page follows.
    await until(async () => {
      const i = (await stack.api('GET', `/v1/instances/${instanceId}`)).json();
      return i.status.observedGeneration >= generation && i.status.phase === 'Running';
    }, 'the instance Running on the new setting', RUNNING_WITHIN_MS);
    await page.getByRole('heading', { name: 'journey' }).locator('xpath=..').getByText('Running', { exact: true }).waitFor({ timeout: 20_000 });
    expect(await page.getByLabel('Value', { exact: true }).inputValue()).toBe('7200000');
  });

  it('a prepaid downgrade waiting for the renewal shows on the instance and is cancelled there; a viewer sees it without the button', { timeout: PAGES_MS }, async () => {
    const instanceId = instanceUrl.split('/').pop()!;
    const i = (await stack.api('GET', `/v1/instances/${instanceId}`)).json();
    expect(i.spec.bandwidthMBps).toBe(40);
    const put = await stack.api('PUT', `/v1/instances/${instanceId}`, { labels: i.labels, spec: { ...i.spec, bandwidthMBps: 20 } });
    expect(put.statusCode, put.body).toBeLessThan(300);
    expect((await stack.api('GET', `/v1/instances/${instanceId}`)).json().billingState.pendingChange?.spec.bandwidthMBps).toBe(20);
    await page.goto(instanceUrl);
    const row = page.getByRole('table', { name: 'Specification' }).getByRole('row').filter({ hasText: 'Pending downgrade' });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/bandwidth 40 → 20 MB\/s; applies at the next renewal/);
    await screenshot(page, 'instance-pending-downgrade');
    const viewer = await newPage();
    await signIn(viewer, keys.viewer);
    await viewer.goto(instanceUrl);
    const viewerRow = viewer.getByRole('table', { name: 'Specification' }).getByRole('row').filter({ hasText: 'Pending downgrade' });
    await viewerRow.waitFor();
    expect(await viewerRow.getByRole('button').count()).toBe(0);
    await viewer.context().close();
    // Cancelled from the page (the API's DELETE …/pending-change): the row goes, the spec stays as paid.
    await row.getByRole('button', { name: 'Cancel downgrade' }).click();
    await row.waitFor({ state: 'detached' });
    const after = (await stack.api('GET', `/v1/instances/${instanceId}`)).json();
    expect(after.billingState.pendingChange ?? null).toBeNull();
    expect(after.spec.bandwidthMBps).toBe(40);
    expect((await stack.api('GET', '/v1/audit-events?limit=20')).json().items.map((e: { action: string }) => e.action)).toContain('instance.pending-change.cancel');
  });

  it('billing: the usage and cost report, traffic per topic, this month so far, and the prepaid instance\'s invoices with their lines as CSV; billing keys see it, viewers do not', { timeout: 90_000 }, async () => {
    const instanceId = instanceUrl.split('/').pop()!;
    // The journey instance is prepaid: its periods are on invoices, not in the usage report. A
    // postpaid one (accepted by the API, which opens its usage records at once; its brokers are not
    // needed) is priced by the second: its meters are the usage shown.
    const made = await stack.api('POST', '/v1/instances', { name: 'usage-meter', labels: {}, spec: { zone: 'zone-a', brokers: 1, bandwidthMBps: 20, diskGiB: 100, partitionLimit: 100, topicLimit: 50, consumerGroupLimit: 10, billing: { mode: 'postpaid' } } });
    expect(made.statusCode, made.body).toBe(202);
    const postpaidId = made.json().resource.id as string;
    await page.getByRole('link', { name: 'Billing' }).click();
    await page.getByRole('heading', { name: 'Billing' }).waitFor();
    const usage = page.getByRole('table', { name: 'Usage by instance' });
    await usage.getByText('usage-meter').first().waitFor();
    const day = 86_400_000;
    const to = Math.ceil(Date.now() / day) * day;
    const report = (await stack.api('GET', `/v1/billing/reports/usage?from=${new Date(to - 7 * day).toISOString()}&to=${new Date(to).toISOString()}&granularity=day&groupBy=instance&instanceId=${postpaidId}`)).json() as { rows: { meter: string }[] };
    const meters = [...new Set(report.rows.map((r) => r.meter))].sort();
    expect(meters.length).toBeGreaterThan(0);
    const shown = usage.getByRole('row').filter({ hasText: 'usage-meter' });
    expect((await shown.locator('td:nth-child(2)').allTextContents()).sort()).toEqual(meters);
    await page.getByRole('img', { name: 'Cost per day' }).waitFor();
    expect(await page.getByTestId('usage-total').textContent()).toMatch(/Total for the range: \$\d/);
    await page.getByText(/No metered traffic/).or(page.getByRole('table', { name: 'Traffic per topic' })).waitFor();
    await page.getByText(/This month so far/).waitFor();
    // Its purchase, renewal and disk upgrade: the API's invoices, as the page lists them.
    const api = (await stack.api('GET', `/v1/billing/invoices?instanceId=${instanceId}&limit=50`)).json().items as { id: string; kind: string; totalMinor: number }[];
    expect(api.length).toBeGreaterThan(0);
    const invoices = page.getByRole('table', { name: 'Invoices' });
    await until(async () => (await invoices.locator('tbody tr').filter({ hasText: 'journey' }).count()) === api.length, 'the instance\'s invoices listed', 20_000);
    const first = api[0]!;
    await page.getByRole('button', { name: `Lines of invoice ${first.id}` }).click();
    const lines = page.getByRole('table', { name: `Invoice ${first.id} lines` });
    await lines.locator('tbody tr').first().waitFor();
    expect(await lines.locator('tbody tr td:first-child').allTextContents()).toEqual((await stack.api('GET', `/v1/billing/invoices/${first.id}`)).json().lines.map((l: { code: string }) => l.code));
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).last().click()]);
    const csv = join(dir, 'invoice.csv');
    await download.saveAs(csv);
    const rows = readFileSync(csv, 'utf8').trim().split('\r\n');
    expect(rows[0]).toBe('code,instance,meter,quantity,unit,unit_price_micros,amount_minor,currency');
    expect(rows.length).toBe(1 + (await lines.locator('tbody tr').count()));
    await expectAccessible(page, 'billing');
    await screenshot(page, 'billing');

    const gone = await stack.api('DELETE', `/v1/instances/${postpaidId}?force=true`);
    expect(gone.statusCode, gone.body).toBeLessThan(300);

    const billing = await newPage();
    await signIn(billing, keys.billing);
    await billing.getByRole('link', { name: 'Billing' }).click();
    await billing.getByRole('table', { name: 'Invoices' }).getByText('journey').first().waitFor();
    expect(await billing.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    const viewer = await newPage();
    await signIn(viewer, keys.viewer);
    expect(await viewer.getByRole('link', { name: 'Billing' }).count()).toBe(0);
  });

  it('a platform admin switches account: every screen reads the chosen account, a change lands there, the choice survives a reload, and switching back shows its own again', { timeout: 90_000 }, async () => {
    const created = await stack.api('POST', '/v1/accounts', { name: 'acme' });
    expect(created.statusCode).toBe(201);
    const acme = created.json() as { id: string };
    const admin = await newPage();
    await signIn(admin, ADMIN_KEY);
    await admin.getByRole('table', { name: 'Instances' }).getByRole('link', { name: 'journey' }).waitFor();
    const picker = admin.getByRole('combobox', { name: 'Account' });
    await picker.click();
    await admin.getByRole('option', { name: 'acme', exact: true }).click();
    // acme has no instance: its empty list, not the platform account's journey.
    await admin.getByTestId('empty-state').getByText('No instances yet').waitFor();
    expect(await picker.inputValue()).toBe('acme');
    await expectAccessible(admin, 'instances of another account');
    await screenshot(admin, 'account-switched');

    // A key minted here belongs to acme (GET /v1/me with it says so); acme's trail names the platform key.
    await admin.getByRole('link', { name: 'API keys' }).click();
    await admin.getByText('No keys.').waitFor();
    await admin.getByLabel('Key name', { exact: true }).fill('acme-ci');
    await admin.getByRole('combobox', { name: 'Role' }).click();
    await admin.getByRole('option', { name: 'admin', exact: true }).click();
    await admin.getByRole('button', { name: 'Create key' }).click();
    const secret = (await admin.getByLabel('secret of acme-ci', { exact: true }).textContent())!;
    const mintedMe = await (await fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${secret}` } })).json() as { account: { id: string }; platformAdmin: boolean };
    expect(mintedMe.account.id).toBe(acme.id);
    expect(mintedMe.platformAdmin).toBe(false);
    const platformKeyId = (await stack.api('GET', '/v1/me')).json().key.id as string;
    await admin.getByRole('link', { name: 'Audit log' }).click();
    const audit = admin.getByRole('table', { name: 'Audit events' });
    await audit.getByRole('row').filter({ hasText: 'api-key.create' }).getByText(platformKeyId).waitFor();
    expect(await audit.getByText('instance.create').count()).toBe(0);

    // The tab keeps the choice across a reload; choosing the own account shows journey again.
    await admin.reload();
    await audit.getByText('api-key.create').first().waitFor();
    expect(await picker.inputValue()).toBe('acme');
    await picker.click();
    await admin.getByRole('option', { name: /\(own\)$/ }).click();
    await admin.getByRole('table', { name: 'Instances' }).getByRole('link', { name: 'journey' }).waitFor();

    // acme's own admin key is no platform admin: no picker.
    const tenant = await newPage();
    await signIn(tenant, secret);
    await tenant.getByRole('link', { name: 'API keys' }).waitFor();
    expect(await tenant.getByRole('combobox', { name: 'Account' }).count()).toBe(0);
  });

  it('deletes the instance only after its name is typed', { timeout: 90_000 }, async () => {
    await page.goto(instanceUrl);
    await page.getByRole('button', { name: 'Delete instance' }).click();
    const dialog = page.getByRole('dialog');
    const confirm = dialog.getByRole('button', { name: 'Delete instance' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel('Type journey to confirm').fill('journe');
    expect(await confirm.isDisabled()).toBe(true);
    await expectAccessible(page, 'delete dialog', '[role="dialog"]');
    await screenshot(page, 'instance-delete-confirm');
    await dialog.getByLabel('Type journey to confirm').fill('journey');
    await confirm.click();
    await page.waitForURL(/\/instances$/);
    const id = instanceUrl.split('/').pop()!;
    // The operator stops its brokers and removes its data (bounded polling), and the API forgets it.
    await until(async () => (await stack.runtime.observe(id)) === null, 'the instance processes to be removed', 60_000);
    await until(async () => (await stack.api('GET', `/v1/instances/${id}`)).statusCode === 404, 'the API to forget the instance', 30_000);
    await page.reload();
    await page.getByTestId('empty-state').getByText('No instances yet').waitFor();
  });
});

describe('a thousand topics', () => {
  // 600 s: the 1,000 creations alone took 200–300 s under a load of 30 (2026-12-02); idle far less.
  it('the topic list shows 1,000 topics within a second of opening its URL, draws only the rows in view, and sorts them', { timeout: 600_000 }, async () => {
    // An instance of its own: the list reads the API's rows, so it is measured without waiting for
    // brokers (the operator starts them meanwhile; the instance is deleted at the end).
    const spec = { zone: 'zone-a', brokers: 1, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 1000, topicLimit: 1000, consumerGroupLimit: 10, billing: { mode: 'postpaid' } };
    const made = await stack.api('POST', '/v1/instances', { name: 'thousand-topics', labels: {}, spec });
    expect(made.statusCode, made.body).toBe(202);
    const instanceId = made.json().resource.id as string;
    const names = Array.from({ length: 1000 }, (_, i) => `t-${i}`);
    for (let i = 0; i < names.length; i += 20) {
      await Promise.all(names.slice(i, i + 20).map(async (name) => {
        const r = await stack.api('POST', `/v1/instances/${instanceId}/topics`, { name, partitions: 1, replicationFactor: 1, configs: {}, labels: {} });
        expect(r.statusCode, r.body).toBe(202);
      }));
    }
    const page = await newPage();
    await signIn(page, ADMIN_KEY);
    const apiMs: number[] = [];
    page.on('requestfinished', (r) => { if (/\/topics\?/.test(r.url())) apiMs.push(Math.round(r.timing().responseEnd)); });
    // From navigation start (a full load of the page: scripts, session, five pages of 200 from the
    // API) to the browser having drawn the first rows, then to the table holding all 1,000:
    // performance.now() counts from the navigation.
    await page.goto(`${base}/instances/${instanceId}/topics`);
    const table = 'table[aria-label="Topics"]';
    const firstRowsMs = await (await page.waitForFunction((t) => document.querySelectorAll(`${t} tbody tr`).length >= 10 && performance.now(), table, { polling: 'raf', timeout: 30_000 })).jsonValue() as number;
    const allMs = await (await page.waitForFunction((t) => document.querySelector(t)?.getAttribute('aria-rowcount') === '1001' && performance.now(), table, { polling: 'raf', timeout: 60_000 })).jsonValue() as number;
    console.log(`1,000 topics: first rows ${Math.round(firstRowsMs)} ms, all ${Math.round(allMs)} ms after navigation; API list reads ${apiMs.join(', ')} ms`);
    // Generous for a 2-core machine under a load of 35 (1.6–3.2 s and 3.3–6.1 s measured there; the
    // README records the numbers): these times are mostly the loaded machine's (scripts, the API's
    // reads of 400–1,100 ms each). A list that drew every row, and re-read and re-drew every page
    // before reading the next, took 30 s on the same machine. What does not depend on the load —
    // only the rows in view are drawn — is checked next.
    expect(firstRowsMs).toBeLessThan(5_000);
    expect(allMs).toBeLessThan(10_000);
    // Only the rows in view (and a few around them) are in the page.
    const drawn = page.locator(`${table} tbody tr:not([aria-hidden])`);
    expect(await drawn.count()).toBeLessThan(60);
    await page.getByRole('button', { name: 'Sort by Name' }).click();
    expect(await drawn.first().locator('td').first().textContent()).toBe('t-0');
    // Scrolled to the end, the last topic is drawn (names compare as read: t-999 after t-100).
    await page.getByRole('region', { name: 'Topics (scrollable)' }).evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await until(async () => (await drawn.last().locator('td').first().textContent()) === 't-999', 'the last row drawn after scrolling', 10_000);
    expect(await drawn.last().getAttribute('aria-rowindex')).toBe('1001');
    await page.getByRole('button', { name: 'Sort by Name' }).click();
    await page.getByRole('region', { name: 'Topics (scrollable)' }).evaluate((el) => { el.scrollTop = 0; });
    await until(async () => (await drawn.first().locator('td').first().textContent()) === 't-999', 'the first row after sorting descending', 10_000);
    await expectAccessible(page, 'topic list of 1,000');
    await screenshot(page, 'topics-thousand');
    const gone = await stack.api('DELETE', `/v1/instances/${instanceId}?force=true`);
    expect(gone.statusCode, gone.body).toBeLessThan(300);
  });
});
