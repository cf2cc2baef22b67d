import { SecretBox } from '@tributary/db';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEtcd, startTestServices, type TestEtcd, type TestServices } from '@tributary/testkit';
import { BROKER_NODE_FLAGS } from '@tributary/contracts';
import { TEST_BROKER_SETTINGS } from './broker-process.ts';
import { buildApp, createReconcileQueue } from '../../apps/api/src/index.ts';
import { ensureBootstrapKey } from '../../apps/api/src/bootstrap.ts';
import { PrismaStore } from '../../apps/api/src/store/prisma-store.ts';
import { startOperatorWorker } from '../../apps/operator/src/jobs/worker.ts';
import { InstanceReconciler } from '../../apps/operator/src/reconcile/instance-reconciler.ts';
import { LocalRuntime } from '../../apps/operator/src/runtimes/local/local-runtime.ts';
import type { ClientTls } from '../../apps/operator/src/runtimes/listeners.ts';
import { DesiredStateStore } from '../../apps/operator/src/store/desired-state-store.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The whole product on one machine for test/e2e: PostgreSQL, Redis (and etcd), the API, and the operator with the local runtime. */
export interface E2eStack {
  /** A REST call with the admin key. */
  api(method: Method, url: string, payload?: object): Promise<Awaited<ReturnType<Awaited<ReturnType<typeof buildApp>>['inject']>>>;
  runtime: LocalRuntime;
  /** The API's store: tests drive its clock-driven sweeps (billing expiry and renewal) with explicit times. */
  store: PrismaStore;
  /** Where the local runtime keeps each instance's brokers and data. */
  root: string;
  /** The API's HTTP URL on 127.0.0.1 when started with `listen: true` (clients such as the CLI that speak real HTTP). */
  url: string | undefined;
  /** Deletes every instance's brokers (a failed run must not leave processes behind), then stops the rest. */
  stop(): Promise<void>;
}

/**
 * `etcd`: the operator gets one, so multi-broker instances run as replicated clusters. `listen`: the
 * API also listens on a free 127.0.0.1 port; `consoleDir`: it serves that web console build at `/`.
 * `clientTls`: instances' client endpoints speak SASL_SSL with that certificate. `lagSampleMs`: the
 * API samples consumer-group lag this often (tests that chart lag cannot wait a minute). `rateLimitMax`:
 * requests per key and minute (the API's 600 unless a test seeds more; the limit itself is tested in apps/api).
 * `replicationThrottle`: bytes per second per broker the operator's moves run at (the operator's
 * default is half the sold bandwidth; a test that must catch a move halfway sets it low). `zones`:
 * the local runtime places broker n in zone n-1 mod count and starts it with that `--rack`.
 */
export async function startE2eStack(options: { key: string; etcd: boolean; stopGraceMs: number; listen?: boolean; consoleDir?: string; clientTls?: ClientTls; lagSampleMs?: number; rateLimitMax?: number; replicationThrottle?: number; zones?: string[] }): Promise<E2eStack> {
  const [services, etcd]: [TestServices, TestEtcd | null] = await Promise.all([startTestServices(), options.etcd ? startEtcd() : null]);
  const store = await PrismaStore.connect(services.databaseUrl);
  const queue = createReconcileQueue(services.redisUrl);
  await ensureBootstrapKey(store, options.key);
  // The API seals SCRAM salted passwords and the operator opens them: one key for both, as in a deployment.
  const secrets = SecretBox.generate();
  const app = await buildApp({ store, queue, secrets, ...(options.consoleDir ? { consoleDir: options.consoleDir } : {}), ...(options.lagSampleMs ? { lagSampling: { everyMs: options.lagSampleMs } } : {}), ...(options.rateLimitMax ? { rateLimitMax: options.rateLimitMax } : {}) });
  const url = options.listen ? await app.listen({ host: '127.0.0.1', port: 0 }) : undefined;
  const root = mkdtempSync(join(tmpdir(), 'tributary-e2e-'));
  const runtime = new LocalRuntime({ rootDir: root, brokerCommand: [process.execPath, ...BROKER_NODE_FLAGS, resolve(import.meta.dirname, '../../node_modules/.bin/tributary-broker'), ...Object.entries(TEST_BROKER_SETTINGS).flatMap(([k, v]) => ['--set', `${k}=${v}`])], stopGraceMs: options.stopGraceMs, clientTls: options.clientTls ?? null, ...(options.zones ? { zones: options.zones } : {}) });
  const operatorStore = new DesiredStateStore(services.databaseUrl, { secrets });
  const throttle = options.replicationThrottle;
  const reconciler = new InstanceReconciler(runtime, { ...(etcd ? { etcdEndpoints: etcd.endpoint } : {}), ...(throttle !== undefined ? { replicationThrottle: () => throttle } : {}) });
  const operator = await startOperatorWorker({ redisUrl: services.redisUrl, store: operatorStore, reconciler, resyncMs: 2_000 });
  return {
    api: (method, url, payload) => app.inject({ method, url, payload, headers: { authorization: `Bearer ${options.key}`, ...(payload ? { 'content-type': 'application/json' } : {}) } }),
    runtime,
    store,
    root,
    url,
    async stop() {
      await operator.close();
      for (const id of await runtime.knownInstances()) await runtime.deleteCluster(id);
      await operatorStore.close();
      await app.close();
      await queue.close();
      await store.close();
      await etcd?.stop();
      await services.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
