import { afterAll, beforeAll, expect } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUES, type Role } from '@tributary/contracts';
import { SecretBox } from '@tributary/db';
import { startTestServices, until as pollUntil, type TestServices } from '@tributary/testkit';
import { buildApp, type AppOptions } from '../app.ts';
import { ensureBootstrapKey } from '../bootstrap.ts';
import { createReconcileQueue, type ReconcileQueue } from '../jobs/queue.ts';
import { generateApiKey } from '../plugins/auth.ts';
import { PrismaStore } from '../store/prisma-store.ts';

/**
 * The API test suites' one setup (test code only; nothing in the app imports it): real PostgreSQL and
 * Redis (libs/testkit), the PrismaStore, a reconcile queue, accounts with API keys, the app, and
 * optionally a first instance — what every suite of apps/api used to build by hand.
 */

/** A small instance spec the suites create instances with. */
export const SMALL_SPEC = {
  zone: 'zone-a', brokers: 1, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 20, topicLimit: 5, consumerGroupLimit: 10, billing: { mode: 'postpaid' },
} as const;

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HarnessOptions<K extends string> {
  /** API keys to mint, by name: the account (by name; created once) and role of each. */
  keys: Record<K, { account: string; role: Role }>;
  /** Options of the app the harness builds (store, queue and secrets are filled in); false builds none. */
  app?: Partial<AppOptions> | false;
  /** Give the app a Redis client (shared rate limits), as main.ts does. */
  redis?: boolean;
  /** The SecretBox the app seals with (default: a fresh key). */
  secrets?: SecretBox;
  /** A platform admin key recorded with ensureBootstrapKey before the app starts. */
  platformKey?: string;
  /** A BullMQ Queue on the reconcile queue for the test to inspect jobs. */
  inspect?: boolean;
  /** A first instance (SMALL_SPEC) created through the app by the first key; its id is `instanceId`. */
  instance?: string;
  /** Runs before the services start (e.g. a check that an external tool is installed). */
  before?: () => Promise<void>;
}

export interface ApiHarness<K extends string> {
  services: TestServices;
  store: PrismaStore;
  queue: ReconcileQueue;
  /** Only with `redis: true`. */
  redis: Redis;
  /** Only with `inspect: true`. */
  inspect: Queue;
  /** The app the harness built (not with `app: false`). */
  app: FastifyInstance;
  secrets: SecretBox;
  /** The secret of each key asked for. */
  keys: Record<K, string>;
  /** Account ids by name. */
  accounts: Record<string, string>;
  /** The first instance's id (with `instance`). */
  instanceId: string;
  /** A request to the harness's app, authenticated with `key` (default: the first key). */
  call(method: Method, url: string, opts?: { key?: string; body?: unknown; headers?: Record<string, string>; app?: FastifyInstance }): Promise<LightMyRequestResponse>;
  /** Another app on the same store and queue, closed at the end of the suite. */
  newApp(opts?: Partial<AppOptions>): Promise<FastifyInstance>;
}

/**
 * Registers the suite's beforeAll/afterAll and returns the harness, whose fields are filled in by the
 * time the tests run. Everything it started is stopped in reverse order after the suite.
 */
export function useApiHarness<K extends string>(opts: HarnessOptions<K>): ApiHarness<K> {
  const apps: FastifyInstance[] = [];
  const h = {
    keys: {} as Record<K, string>,
    accounts: {} as Record<string, string>,
    instanceId: '',
    secrets: opts.secrets ?? SecretBox.generate(),
  } as ApiHarness<K>;
  const firstKey = () => h.keys[Object.keys(opts.keys)[0] as K];
  h.call = (method, url, o = {}) => (o.app ?? h.app).inject({
    method, url, headers: { authorization: `Bearer ${o.key ?? firstKey()}`, ...o.headers }, ...(o.body !== undefined ? { payload: o.body as object } : {}),
  });
  h.newApp = async (appOpts = {}) => {
    const a = await buildApp({ store: h.store, queue: h.queue, secrets: h.secrets, ...(opts.redis ? { redis: h.redis } : {}), ...appOpts });
    apps.push(a);
    return a;
  };

  beforeAll(async () => {
    await opts.before?.();
    h.services = await startTestServices();
    h.store = await PrismaStore.connect(h.services.databaseUrl);
    h.queue = createReconcileQueue(h.services.redisUrl);
    if (opts.redis) h.redis = new Redis(h.services.redisUrl);
    if (opts.inspect) {
      const url = new URL(h.services.redisUrl);
      h.inspect = new Queue(QUEUES.reconcile, { connection: { host: url.hostname, port: Number(url.port) } });
      h.inspect.on('error', () => {}); // suites stop Redis on purpose (outbox.test.ts)
    }
    for (const [name, { account, role }] of Object.entries(opts.keys) as [K, { account: string; role: Role }][]) {
      h.accounts[account] ??= await h.store.createAccount(account);
      const k = generateApiKey();
      await h.store.createApiKey(h.accounts[account]!, name, role, k.prefix, k.hash);
      h.keys[name] = k.key;
    }
    if (opts.platformKey) expect(await ensureBootstrapKey(h.store, opts.platformKey)).toBeNull();
    if (opts.app !== false) h.app = await h.newApp(opts.app ?? {});
    if (opts.instance) {
      const r = await h.call('POST', '/v1/instances', { body: { name: opts.instance, spec: SMALL_SPEC } });
      expect(r.statusCode, r.body).toBe(202);
      h.instanceId = r.json().resource.id;
    }
  }, 120_000);

  afterAll(async () => {
    for (const a of apps.reverse()) await a.close();
    await h.inspect?.close();
    h.redis?.disconnect();
    await h.queue?.close();
    await h.store?.close();
    await h.services?.stop();
  });
  return h;
}

/** testkit's condition poll with the API suites' defaults: in-process changes, so 10 s in 20 ms steps. */
export async function until(check: () => Promise<boolean>, what: string, ms = 10_000, everyMs = 20): Promise<void> {
  await pollUntil(check, what, ms, undefined, everyMs);
}
