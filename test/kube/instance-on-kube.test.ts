import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AppsV1Api, CoreV1Api, PolicyV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '@tributary/db';
import { KUBE_BIN, startEtcd, startTestServices, type NodeAgent, type TestEtcd, type TestServices } from '@tributary/testkit';
import { buildApp, createReconcileQueue } from '../../apps/api/src/index.ts';
import { ensureBootstrapKey } from '../../apps/api/src/bootstrap.ts';
import { PrismaStore } from '../../apps/api/src/store/prisma-store.ts';
import { startOperatorWorker } from '../../apps/operator/src/jobs/worker.ts';
import { InstanceReconciler } from '../../apps/operator/src/reconcile/instance-reconciler.ts';
import { kubernetesRuntimeFromEnv } from '../../apps/operator/src/runtimes/kubernetes/from-env.ts';
import { DesiredStateStore } from '../../apps/operator/src/store/desired-state-store.ts';
import { kcatProduce } from '../support/kcat.ts';
import { untilInstanceRunning } from '../support/instance-running.ts';
import { until } from '../support/until.ts';
import { BROKER_IMAGE, devNullDamage, startAgentCluster, type AgentCluster } from './agent-cluster.ts';

/**
 * Issue 22's scenario on the real control plane (tools/kube v1.37.2) with the test node agent as the
 * kubelet: an instance created through the REST API becomes the operator's StatefulSet, Services,
 * PodDisruptionBudget and Secret (TRIBUTARY_RUNTIME=kubernetes as the chart configures it, brokers
 * addressed by pod IP), its three broker pods run the repository's broker as uid 10001, form one
 * cluster on etcd and pass their probes; kcat produces and consumes through the instance's bootstrap
 * addresses with a SCRAM user; a broker setting change rolls the pods one at a time (never two
 * down) and the data survives; scaling to four adds a pod on the fourth node; deleting the instance
 * removes every object through the controller manager's garbage collector and stops the processes. The operator and the API run in this process
 * (not as pods: the chart install is not done yet). Skipped where the Kubernetes binaries are not
 * built, which includes CI (see tools/kube).
 */
const built = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].every((c) => existsSync(join(KUBE_BIN, c)));
const run = promisify(execFile);
const KEY = 'trib_kube_admin_key_0123456789abcdef';
const NAMESPACE = 'tenants';

const waitFor = (check: () => Promise<boolean>, what: string, ms: number) => until(async () => ((await check()) ? true : null), what, ms);

describe.skipIf(!built)('an instance on the real control plane, brokers run by the test node agent (skipped without .cache/kube/bin, as in CI: a cold build of the Kubernetes binaries takes 98 min)', () => {
  let cluster: AgentCluster;
  let agent: NodeAgent;
  let etcd: TestEtcd;
  let services: TestServices;
  const closers: (() => Promise<unknown>)[] = [];
  let api: (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) => Promise<Awaited<ReturnType<Awaited<ReturnType<typeof buildApp>>['inject']>>>;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let policy: PolicyV1Api;

  beforeAll(async () => {
    [cluster, etcd, services] = await Promise.all([startAgentCluster(4), startEtcd(), startTestServices()]);
    ({ agent, core, apps, policy } = cluster);
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
    const store = await PrismaStore.connect(services.databaseUrl);
    const queue = createReconcileQueue(services.redisUrl);
    await ensureBootstrapKey(store, KEY);
    const secrets = SecretBox.generate();
    const app = await buildApp({ store, queue, secrets });
    const runtime = kubernetesRuntimeFromEnv({ TRIBUTARY_INSTANCES_NAMESPACE: NAMESPACE, TRIBUTARY_BROKER_IMAGE: BROKER_IMAGE, TRIBUTARY_BROKER_ADVERTISE: 'pod-ip' }, cluster.kc);
    const operatorStore = new DesiredStateStore(services.databaseUrl, { secrets });
    const operator = await startOperatorWorker({ redisUrl: services.redisUrl, store: operatorStore, reconciler: new InstanceReconciler(runtime, { etcdEndpoints: etcd.endpoint }), resyncMs: 2_000 });
    closers.push(() => operator.close(), () => operatorStore.close(), () => app.close(), () => queue.close(), () => store.close());
    api = (method, url, payload) => app.inject({ method, url, payload, headers: { authorization: `Bearer ${KEY}`, ...(payload ? { 'content-type': 'application/json' } : {}) } });
  }, 360_000);
  afterAll(async () => {
    for (const close of closers) await close().catch(() => undefined);
    await Promise.all([cluster?.stop(), etcd?.stop(), services?.stop()]);
    expect(devNullDamage()).toBeNull();
  }, 180_000);

  it('REST → StatefulSet, Services, PDB, Secret → broker pods ready → kcat produce and consume → roll one pod at a time → scale-up → deletion removes everything', async () => {
    const spec = { zone: 'zone-a', brokers: 3, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 100, topicLimit: 10, consumerGroupLimit: 10, billing: { mode: 'postpaid' } };
    const created = await api('POST', '/v1/instances', { name: 'kube-instance', spec });
    expect(created.statusCode, JSON.stringify(created.json())).toBe(202);
    const id = created.json().resource.id as string;
    const read = async () => (await api('GET', `/v1/instances/${id}`)).json();
    const brokerLogs = () => agent.running().map((p) => `${p}:\n${agent.logs(p.split('/')[0]!, p.split('/')[1]!, 'broker').slice(-1500)}`).join('\n');
    const running = await untilInstanceRunning(read, 'the instance to be Running', { ms: 300_000, explain: brokerLogs });

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
    // READ may reach a broker later than WRITE did (ACLs travel through etcd): retried as the produce is.
    const { stdout } = await until(() => run('kcat', ['-C', '-b', bootstrap.join(','), ...login, '-t', 'orders', '-o', 'beginning', '-e', '-q', '-f', '%s\n'], { timeout: 60_000 }), 'kcat to consume as app', 120_000);
    expect(stdout.split('\n').filter(Boolean).sort()).toEqual([...messages].sort());

    // A broker setting change rolls the pods: the operator deletes one at a time and the StatefulSet
    // controller recreates it. Watched throughout: never more than one broker pod missing or unready.
    const brokerPods = async () => (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: selector })).items;
    const before = new Set(pods.map((p) => p.metadata!.uid));
    const updated = await api('PUT', `/v1/instances/${id}`, { spec: { ...spec, brokerConfig: { 'log.retention.ms': '7200000' } } });
    expect(updated.statusCode).toBe(202);
    const generation = updated.json().resource.generation as number;
    let mostDown = 0;
    await until(async () => {
      const now = await brokerPods();
      const ready = now.filter((p) => !p.metadata!.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      mostDown = Math.max(mostDown, 3 - ready.length);
      const body = (await api('GET', `/v1/instances/${id}`)).json();
      return body.status?.phase === 'Running' && body.status.observedGeneration === generation && ready.length === 3 && ready.every((p) => !before.has(p.metadata!.uid)) ? true : null;
    }, 'every broker pod replaced by the roll and the instance Running at the new generation', 300_000);
    expect(mostDown).toBeGreaterThanOrEqual(1); // the watch saw the roll
    expect(mostDown).toBe(1);
    const afterRoll = ((await api('GET', `/v1/instances/${id}`)).json().status.bootstrapServers as string).split(',');
    const reread = await run('kcat', ['-C', '-b', afterRoll.join(','), ...login, '-t', 'orders', '-o', 'beginning', '-e', '-q', '-f', '%s\n'], { timeout: 60_000 });
    expect(reread.stdout.split('\n').filter(Boolean).sort()).toEqual([...messages].sort());

    // Scale-up: a fourth broker pod on the fourth node joins the cluster.
    const scaled = await api('PUT', `/v1/instances/${id}`, { spec: { ...spec, brokers: 4, brokerConfig: { 'log.retention.ms': '7200000' } } });
    expect(scaled.statusCode, JSON.stringify(scaled.json())).toBe(202);
    const grown = await untilInstanceRunning(read, 'the instance Running with four brokers', { ms: 300_000, explain: brokerLogs, also: (body) => body.status!.observedGeneration === scaled.json().resource.generation && body.status!.brokers === 4 });
    expect((grown.status.bootstrapServers as string).split(',')).toHaveLength(4);
    expect(new Set((await brokerPods()).map((p) => p.spec!.nodeName)).size).toBe(4);

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
