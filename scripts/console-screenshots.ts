/**
 * `npm run console:screenshots`: the README's pictures of the web console, made again from scratch.
 * Starts the real local stack (test/support/e2e-stack.ts: PostgreSQL, Redis, the operator running
 * brokers, the API serving a fresh console build), seeds a demo account through the API and a Kafka
 * client (an instance, topics with records, a SCRAM user with ACLs, a consumer group behind, quotas),
 * then photographs the main screens with playwright-core in Debian's chromium into docs/console/.
 * Everything it starts is stopped at the end, also when a step fails.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parseCli } from '@tributary/contracts/cli';
import { startE2eStack, type E2eStack } from '../test/support/e2e-stack.ts';
import { until } from '../test/support/until.ts';
import { buildConsole } from '../test/console/console-build.ts';
import { CHROMIUM } from '../test/console/browser.ts';

parseCli('console-screenshots', `
Usage: node scripts/console-screenshots.ts [--help] [--version]

Starts the local stack, seeds a demo account and saves screenshots of the web console's main
screens into docs/console/ (PNG, 1280 px wide). Needs scripts/setup.sh to have run (chromium,
the broker). Takes about two minutes on an idle machine.`, {});

const OUT = resolve(import.meta.dirname, '../docs/console');
const KEY = 'trib_screenshots_admin_key_0123456789abcdef';
const PASSWORD = 'demo-password-not-secret-0123';

async function call(stack: E2eStack, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: object) {
  const r = await stack.api(method, url, body);
  if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body}`);
  return r.json();
}

/**
 * A demo account has a past that a fresh stack has not: a postpaid instance that has run for five
 * days (its open usage records, which the API prices by the second, start then) and the hourly
 * traffic per topic and principal the operator's metering rollup would have written for the prepaid
 * one (this stack runs no metering job). Written into the API's tables as those writers write them,
 * so the billing screen shows a usage chart and chargeback rows. For the pictures only.
 */
async function pastUsage(stack: E2eStack, prepaidId: string) {
  const spec = { zone: 'zone-a', brokers: 1, bandwidthMBps: 20, diskGiB: 200, partitionLimit: 100, topicLimit: 50, consumerGroupLimit: 50, billing: { mode: 'postpaid' } };
  const id = (await call(stack, 'POST', '/v1/instances', { name: 'analytics-dev', labels: { team: 'data' }, spec })).resource.id as string;
  const days = 5;
  const start = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - days * 86_400_000);
  await stack.store.db.usageRecord.updateMany({ where: { instanceId: id, periodEnd: null }, data: { periodStart: start } });
  const rows = [];
  for (let h = 0; h < days * 24; h++) {
    const hourStart = new Date(start.getTime() + h * 3_600_000);
    const busy = 1 + Math.sin((h % 24) / 24 * 2 * Math.PI - Math.PI / 2); // a daily curve, quiet at night
    for (const [topic, mib] of [['orders', 40], ['clickstream', 220], ['payments', 12]] as const) {
      rows.push({ instanceId: prepaidId, hourStart, direction: 'in', topic, principal: 'User:checkout-service', listener: 'SASL_PLAINTEXT', bytes: String(Math.round(mib * busy * 1048576)) });
      rows.push({ instanceId: prepaidId, hourStart, direction: 'out', topic, principal: 'User:checkout-service', listener: 'SASL_PLAINTEXT', bytes: String(Math.round(mib * 2.5 * busy * 1048576)) });
    }
  }
  await stack.store.db.chargebackHour.createMany({ data: rows });
}

/** The demo account's objects, made as a user would: through the API, then a Kafka client. */
async function seed(stack: E2eStack): Promise<{ id: string; stop: () => Promise<void> }> {
  const spec = { zone: 'zone-a', brokers: 1, bandwidthMBps: 40, diskGiB: 500, partitionLimit: 100, topicLimit: 50, consumerGroupLimit: 50, billing: { mode: 'prepaid', periodMonths: 3, autoRenew: false } };
  const id = (await call(stack, 'POST', '/v1/instances', { name: 'shop-events', labels: { team: 'checkout' }, spec })).resource.id as string;
  const instance = `/v1/instances/${id}`;
  await pastUsage(stack, id);
  const running = await until(async () => { const i = await call(stack, 'GET', instance); return i.status.phase === 'Running' ? i : null; }, 'the demo instance Running', 180_000);
  for (const [name, partitions] of [['orders', 6], ['payments', 3], ['clickstream', 12], ['audit-log', 1]] as const) {
    await call(stack, 'POST', `${instance}/topics`, { name, partitions, replicationFactor: 1, configs: name === 'audit-log' ? { 'retention.ms': '604800000', 'cleanup.policy': 'compact' } : {}, labels: {} });
  }
  await until(async () => ((await call(stack, 'GET', `${instance}/topics`)).items as { status: { phase: string } }[]).every((t) => t.status.phase === 'Ready') || null, 'the demo topics Ready', 120_000);
  await call(stack, 'POST', `${instance}/users`, { name: 'checkout-service', password: PASSWORD, mechanism: 'SCRAM-SHA-512', labels: {} });
  const me = await call(stack, 'GET', '/v1/me');
  for (const principal of ['User:checkout-service', me.kafkaPrincipal as string]) {
    for (const [resourceType, operation] of [['TOPIC', 'ALL'], ['GROUP', 'ALL']] as const) {
      await call(stack, 'POST', `${instance}/acls`, { resourceType, resourceName: '*', patternType: 'LITERAL', principal, host: '*', operation, permissionType: 'ALLOW', labels: {} });
    }
  }
  await call(stack, 'POST', `${instance}/client-quotas`, { user: 'checkout-service', producerByteRate: 4 * 1048576, consumerByteRate: 8 * 1048576, labels: {} });
  await call(stack, 'POST', `${instance}/consumer-group-quotas`, { group: 'fulfilment', maxMembers: 12, labels: {} });

  // Records and a consumer group that is behind, through a real client logging in as the user
  // (the operator applies the user and ACLs a moment later: retried, bounded).
  const kafka = new Kafka({ clientId: 'screenshots', brokers: running.status.bootstrapServers.split(','), sasl: { mechanism: 'scram-sha-512', username: 'checkout-service', password: PASSWORD }, logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  const producer = kafka.producer();
  await until(async () => { await producer.connect(); return true; }, 'the demo user to log in', 60_000);
  const order = (i: number) => JSON.stringify({ orderId: `o-${1000 + i}`, customer: `c-${i % 37}`, total: Math.round((10 + (i * 7.3) % 90) * 100) / 100, items: 1 + (i % 4), currency: 'EUR' });
  // Refused (TOPIC_AUTHORIZATION_FAILED) until the operator has applied the ACLs: retried, bounded.
  await until(async () => { await producer.send({ topic: 'orders', acks: -1, messages: Array.from({ length: 240 }, (_, i) => ({ key: `o-${1000 + i}`, value: order(i), headers: { source: 'web' } })) }); return true; }, 'the demo ACLs applied', 60_000);
  await producer.send({ topic: 'payments', acks: -1, messages: Array.from({ length: 90 }, (_, i) => ({ key: `p-${i}`, value: JSON.stringify({ orderId: `o-${1000 + i}`, status: i % 9 === 0 ? 'declined' : 'captured' }) })) });
  await producer.send({ topic: 'clickstream', acks: 1, messages: Array.from({ length: 600 }, (_, i) => ({ key: `s-${i % 50}`, value: JSON.stringify({ page: ['/', '/cart', '/checkout', '/product/42'][i % 4], ms: 30 + (i % 200) }) })) });
  // A consumer group behind: "fulfilment" reads every order and commits, leaves, and more orders
  // arrive. Joining is what makes the broker's group coordinator answer for the group (an admin
  // setOffsets on a group nobody joined raced the coordinator's start: "group coordinator not found");
  // the join itself is retried, bounded, until the coordinator answers.
  const consumer = kafka.consumer({ groupId: 'fulfilment', retry: { retries: 2 } });
  let read = 0;
  await until(async () => { await consumer.connect(); await consumer.subscribe({ topic: 'orders', fromBeginning: true }); return true; }, 'the fulfilment group to join', 60_000);
  await consumer.run({ eachMessage: async () => { read++; } });
  await until(() => read >= 240 || null, 'the fulfilment group to read the 240 orders', 60_000);
  await consumer.disconnect(); // commits what it read and leaves: the group is Empty, its lag 0
  // Live traffic while the pictures are taken: orders keep arriving (the group's lag grows on its
  // chart) and clicks stream in, so the topic list has message rates. Stopped by the caller.
  let n = 240;
  const traffic = setInterval(() => {
    const orders = Array.from({ length: 3 }, () => { n++; return { key: `o-${1000 + n}`, value: order(n), headers: { source: 'web' } }; });
    const clicks = Array.from({ length: 25 }, (_, i) => ({ key: `s-${(n + i) % 50}`, value: JSON.stringify({ page: ['/', '/cart', '/checkout', '/product/42'][i % 4], ms: 30 + ((n * i) % 200) }) }));
    void Promise.all([producer.send({ topic: 'orders', acks: -1, messages: orders }), producer.send({ topic: 'clickstream', acks: 1, messages: clicks })]).catch(() => undefined);
  }, 500);
  const stop = async () => { clearInterval(traffic); await producer.disconnect(); };
  // Three lag samples (the stack samples every 5 s) so the chart has a line, and rates in the topic list.
  await until(async () => ((await call(stack, 'GET', `${instance}/consumer-groups/fulfilment/lag-history`)).series[0]?.points.length ?? 0) >= 3 || null, 'three lag samples', 60_000);
  await until(async () => ((await call(stack, 'GET', `${instance}/topics`)).items as { name: string; stats: { messagesPerSecond: number | null } | null }[]).find((t) => t.name === 'clickstream' && (t.stats?.messagesPerSecond ?? 0) > 0) ?? null, 'a message rate sampled', 60_000);
  return { id, stop };
}

async function shoot(browser: Browser, base: string, id: string) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  await page.goto(`${base}/sign-in`);
  await page.getByLabel('API key', { exact: true }).fill(KEY);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Instances' }).waitFor();
  // fullPage for screens whose point is below the fold (a chart, a page of records).
  const snap = async (name: string, ready: (p: Page) => Promise<unknown>, fullPage = false) => {
    await ready(page);
    // Fonts and the page's own transitions settle first (a dialog fading in, a chart drawing).
    await page.evaluate(() => Promise.all(document.getAnimations().filter((a) => a.effect?.getComputedTiming().endTime !== Infinity).map((a) => a.finished.catch(() => undefined))));
    // A whole page is taken with a viewport as tall as the page: Playwright's fullPage stitches
    // past the viewport, where the fixed navigation's border stopped half-way down.
    if (fullPage) await page.setViewportSize({ width: 1280, height: await page.evaluate(() => document.documentElement.scrollHeight) });
    await page.screenshot({ path: join(OUT, `${name}.png`) });
    await page.setViewportSize({ width: 1280, height: 800 });
    console.log(`docs/console/${name}.png`);
  };
  const at = `${base}/instances/${id}`;
  await snap('instances', (p) => p.getByRole('link', { name: 'shop-events' }).waitFor());
  await snap('instance-overview', async (p) => { await p.goto(at); await p.getByRole('table', { name: 'Conditions' }).waitFor(); });
  await snap('topics', async (p) => { await p.goto(`${at}/topics`); await p.getByRole('button', { name: 'Sort by Size' }).click(); await p.getByRole('button', { name: 'Sort by Size' }).click(); });
  await snap('topic-detail', async (p) => { await p.goto(`${at}/topics/orders`); await p.getByRole('table', { name: 'Partitions' }).locator('tbody tr').nth(5).waitFor(); });
  await snap('messages-browse', async (p) => { await p.goto(`${at}/topics/orders/messages?mode=browse`); await p.getByLabel('Per page', { exact: true }).fill('8'); await p.getByRole('button', { name: 'Read', exact: true }).click(); await p.getByRole('table', { name: 'Messages' }).locator('tbody tr').nth(7).waitFor(); }, true);
  await snap('group-detail', async (p) => { await p.goto(`${at}/groups/fulfilment`); await p.getByRole('img', { name: 'Lag of fulfilment per topic' }).waitFor(); }, true);
  await snap('users-acls', async (p) => { await p.goto(`${at}/access`); await p.getByText('checkout-service').first().waitFor(); });
  await snap('quotas', async (p) => { await p.goto(`${at}/quotas`); await p.getByRole('table', { name: 'Consumer-group quotas' }).waitFor(); });
  await snap('billing', async (p) => { await p.goto(`${base}/billing`); await p.getByRole('table', { name: 'Invoices' }).waitFor(); await p.getByRole('table', { name: 'Traffic per topic' }).waitFor(); await p.getByRole('table', { name: 'Usage by instance' }).waitFor(); }, true);
  await snap('quote', async (p) => { await p.goto(`${base}/quote?brokers=3&diskGiB=500&bandwidthMBps=40&mode=prepaid&periodMonths=3`); await p.getByTestId('quote-total').waitFor(); await p.getByRole('table', { name: 'Quote lines' }).waitFor(); });
  await context.close();
  const dark = await browser.newContext({ viewport: { width: 820, height: 1000 }, colorScheme: 'dark' });
  const tablet = await dark.newPage();
  await tablet.goto(`${base}/sign-in`);
  await tablet.getByLabel('API key', { exact: true }).fill(KEY);
  await tablet.getByRole('button', { name: 'Sign in' }).click();
  await tablet.goto(at);
  await tablet.getByRole('table', { name: 'Conditions' }).waitFor();
  await tablet.screenshot({ path: join(OUT, 'instance-overview-dark-tablet.png') });
  console.log('docs/console/instance-overview-dark-tablet.png');
  await dark.close();
}

const dir = mkdtempSync(join(tmpdir(), 'tributary-screenshots-'));
let stack: E2eStack | undefined;
let browser: Browser | undefined;
let stopTraffic: (() => Promise<void>) | undefined;
try {
  mkdirSync(OUT, { recursive: true });
  await buildConsole(join(dir, 'dist'));
  stack = await startE2eStack({ key: KEY, etcd: false, stopGraceMs: 10_000, listen: true, consoleDir: join(dir, 'dist'), lagSampleMs: 5_000 });
  // Not the tests' launchBrowser: that empties the tests' artifacts folder.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const demo = await seed(stack);
  stopTraffic = demo.stop;
  await shoot(browser, stack.url!, demo.id);
} finally {
  await stopTraffic?.();
  await browser?.close();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
}
