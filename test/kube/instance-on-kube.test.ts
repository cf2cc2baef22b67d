import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { AppsV1Api, CoreV1Api, KubeConfig, PolicyV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '@tributary/db';
import { KUBE_BIN, startEtcd, startKube, startNodeAgent, startTestServices, type NodeAgent, type TestEtcd, type TestKube, type TestServices } from '@tributary/testkit';
import { buildApp, createReconcileQueue } from '../../apps/api/src/index.ts';
import { ensureBootstrapKey } from '../../apps/api/src/bootstrap.ts';
import { PrismaStore } from '../../apps/api/src/store/prisma-store.ts';
import { startOperatorWorker } from '../../apps/operator/src/jobs/worker.ts';
import { InstanceReconciler } from '../../apps/operator/src/reconcile/instance-reconciler.ts';
import { kubernetesRuntimeFromEnv } from '../../apps/operator/src/runtimes/kubernetes/from-env.ts';
import { DesiredStateStore } from '../../apps/operator/src/store/desired-state-store.ts';
import { kcatProduce } from '../support/kcat.ts';
import { until } from '../support/until.ts';

/**
 * Issue 22's scenario on the real control plane (tools/kube v1.37.2) with the test node agent as the
 * kubelet: an instance created through the REST API becomes the operator's StatefulSet, Services,
 * PodDisruptionBudget and Secret (TRIBUTARY_RUNTIME=kubernetes as the chart configures it, brokers
 * addressed by pod IP), its three broker pods run the repository's broker as uid 10001, form one
 * cluster on etcd and pass their probes; kcat produces and consumes through the instance's bootstrap
 * addresses with a SCRAM user; deleting the instance removes every object through the controller
 * manager's garbage collector and stops the processes. The operator and the API run in this process
 * (not as pods: the chart install is not done yet). Skipped where the Kubernetes binaries are not
 * built, which includes CI (see tools/kube).
 */
const ROOT = resolve(import.meta.dirname, '../..');
const built = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].every((c) => existsSync(join(KUBE_BIN, c)));
const run = promisify(execFile);
const KEY = 'trib_kube_admin_key_0123456789abcdef';
const NAMESPACE = 'tenants';
const IMAGE = 'tributary/broker:dev';

const waitFor = (check: () => Promise<boolean>, what: string, ms: number) => until(async () => ((await check()) ? true : null), what, ms);

describe.skipIf(!built)('an instance on the real control plane, brokers run by the test node agent (needs .cache/kube/bin)', () => {
  let kube: TestKube;
  let agent: NodeAgent;
  let etcd: TestEtcd;
  let services: TestServices;
  const closers: (() => Promise<unknown>)[] = [];
  let api: (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) => Promise<Awaited<ReturnType<Awaited<ReturnType<typeof buildApp>>['inject']>>>;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let policy: PolicyV1Api;

  beforeAll(async () => {
    [kube, etcd, services] = await Promise.all([startKube(), startEtcd(), startTestServices()]);
    const kc = new KubeConfig();
    kc.loadFromFile(kube.adminKubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    policy = kc.makeApiClient(PolicyV1Api);
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
    // The broker image's meaning here: the host's root with this checkout's broker and Node 24 first
    // on PATH (the image has /usr/local/bin/tributary-broker and node; tini's ENTRYPOINT is dropped).
    agent = await startNodeAgent({
      kubeconfig: kube.adminKubeconfig,
      nodes: [{ name: 'node-a' }, { name: 'node-b' }, { name: 'node-c' }],
      images: { [IMAGE]: { entrypoint: [], env: { PATH: `${join(ROOT, 'node_modules/.bin')}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, NODE_ENV: 'production' }, workingDir: '/' } },
      apiServer: { host: '127.0.0.1', port: Number(new URL(kube.server).port) },
    });
    const store = await PrismaStore.connect(services.databaseUrl);
    const queue = createReconcileQueue(services.redisUrl);
    await ensureBootstrapKey(store, KEY);
    const secrets = SecretBox.generate();
    const app = await buildApp({ store, queue, secrets });
    const runtime = kubernetesRuntimeFromEnv({ TRIBUTARY_INSTANCES_NAMESPACE: NAMESPACE, TRIBUTARY_BROKER_IMAGE: IMAGE, TRIBUTARY_BROKER_ADVERTISE: 'pod-ip' }, kc);
    const operatorStore = new DesiredStateStore(services.databaseUrl, { secrets });
    const operator = await startOperatorWorker({ redisUrl: services.redisUrl, store: operatorStore, reconciler: new InstanceReconciler(runtime, { etcdEndpoints: etcd.endpoint }), resyncMs: 2_000 });
    closers.push(() => operator.close(), () => operatorStore.close(), () => app.close(), () => queue.close(), () => store.close());
    api = (method, url, payload) => app.inject({ method, url, payload, headers: { authorization: `Bearer ${KEY}`, ...(payload ? { 'content-type': 'application/json' } : {}) } });
  }, 360_000);
  afterAll(async () => {
    for (const close of closers) await close().catch(() => undefined);
    await agent?.stop();
    await Promise.all([kube?.stop(), etcd?.stop(), services?.stop()]);
  }, 180_000);

  it('REST → StatefulSet, Services, PDB, Secret → broker pods ready → kcat produce and consume → deletion removes everything', async () => {
    const spec = { zone: 'zone-a', brokers: 3, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 100, topicLimit: 10, consumerGroupLimit: 10, billing: { mode: 'postpaid' } };
    const created = await api('POST', '/v1/instances', { name: 'kube-instance', spec });
    expect(created.statusCode, JSON.stringify(created.json())).toBe(202);
    const id = created.json().resource.id as string;
    let seen: unknown;
    const running = await until(async () => {
      const body = (await api('GET', `/v1/instances/${id}`)).json();
      seen = body;
      return body.status?.phase === 'Running' ? body : null;
    }, 'the instance to be Running', 300_000).catch((err: Error) => {
      const logs = agent.running().map((p) => `${p}:\n${agent.logs(p.split('/')[0]!, p.split('/')[1]!, 'broker').slice(-1500)}`).join('\n');
      throw new Error(`${err.message}; last seen: ${JSON.stringify(seen)}\n${logs}`);
    });

    const selector = `tributary.io/instance=${id}`;
    const sts = (await apps.listNamespacedStatefulSet({ namespace: NAMESPACE, labelSelector: selector })).items;
    expect(sts).toHaveLength(1);
    expect(sts[0]!.status?.readyReplicas).toBe(3);
    const pods = (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: selector })).items;
    expect(new Set(pods.map((p) => p.spec!.nodeName)).size).toBe(3); // required anti-affinity: one broker per node
    expect((await core.listNamespacedService({ namespace: NAMESPACE, labelSelector: selector })).items).toHaveLength(2);
    expect((await policy.listNamespacedPodDisruptionBudget({ namespace: NAMESPACE, labelSelector: selector })).items).toHaveLength(1);
    expect((await core.listNamespacedSecret({ namespace: NAMESPACE, labelSelector: selector })).items).toHaveLength(1);
    expect((await core.listNamespacedPersistentVolumeClaim({ namespace: NAMESPACE, labelSelector: selector })).items.map((c) => c.status?.phase)).toEqual(['Bound', 'Bound', 'Bound']);
    const bootstrap = (running.status.bootstrapServers as string).split(',');
    expect(bootstrap.sort()).toEqual(pods.map((p) => `${p.status!.podIP}:9093`).sort());

    expect((await api('POST', `/v1/instances/${id}/topics`, { name: 'orders', partitions: 3, replicationFactor: 3 })).statusCode).toBe(202);
    await waitFor(async () => (await api('GET', `/v1/instances/${id}/topics/orders`)).json().status?.phase === 'Ready', 'the topic to be Ready', 120_000);
    expect((await api('POST', `/v1/instances/${id}/users`, { name: 'app', password: 'app-password-123', mechanism: 'SCRAM-SHA-512' })).statusCode).toBe(202);
    for (const operation of ['WRITE', 'READ']) expect((await api('POST', `/v1/instances/${id}/acls`, { resourceType: 'TOPIC', resourceName: 'orders', operation, patternType: 'LITERAL', principal: 'User:app' })).statusCode).toBe(202);
    const login = ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', 'sasl.username=app', '-X', 'sasl.password=app-password-123'];
    const messages = Array.from({ length: 1000 }, (_, i) => `m${i}`);
    // The user and its ACLs reach every broker through etcd after the 202s: retry until kcat gets in.
    await until(async () => kcatProduce(['-b', bootstrap.join(','), ...login, '-t', 'orders', '-X', 'acks=all'], messages.join('\n') + '\n', 30_000), 'kcat to produce as app', 120_000);
    const { stdout } = await run('kcat', ['-C', '-b', bootstrap.join(','), ...login, '-t', 'orders', '-o', 'beginning', '-e', '-q', '-f', '%s\n'], { timeout: 60_000 });
    expect(stdout.split('\n').filter(Boolean).sort()).toEqual([...messages].sort());

    expect((await api('DELETE', `/v1/instances/${id}?force=true`)).statusCode).toBe(202);
    await waitFor(async () => {
      const left = await Promise.all([
        apps.listNamespacedStatefulSet({ namespace: NAMESPACE, labelSelector: selector }),
        core.listNamespacedService({ namespace: NAMESPACE, labelSelector: selector }),
        core.listNamespacedSecret({ namespace: NAMESPACE, labelSelector: selector }),
        core.listNamespacedConfigMap({ namespace: NAMESPACE, labelSelector: selector }),
        policy.listNamespacedPodDisruptionBudget({ namespace: NAMESPACE, labelSelector: selector }),
        core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: selector }),
        core.listNamespacedPersistentVolumeClaim({ namespace: NAMESPACE, labelSelector: selector }),
      ]);
      return left.every((l) => l.items.length === 0) && agent.running().length === 0;
    }, 'every object of the instance gone and no broker process left', 180_000);
  }, 900_000);
});
