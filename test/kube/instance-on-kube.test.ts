import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '@tributary/db';
import { KUBE_BIN, startEtcd, startTestServices, type TestEtcd, type TestServices } from '@tributary/testkit';
import { buildApp, createReconcileQueue } from '../../apps/api/src/index.ts';
import { ensureBootstrapKey } from '../../apps/api/src/bootstrap.ts';
import { PrismaStore } from '../../apps/api/src/store/prisma-store.ts';
import { startOperatorWorker } from '../../apps/operator/src/jobs/worker.ts';
import { InstanceReconciler } from '../../apps/operator/src/reconcile/instance-reconciler.ts';
import { kubernetesRuntimeFromEnv } from '../../apps/operator/src/runtimes/kubernetes/from-env.ts';
import { DesiredStateStore } from '../../apps/operator/src/store/desired-state-store.ts';
import { BROKER_IMAGE, devNullDamage, startAgentCluster, type AgentCluster } from './agent-cluster.ts';
import { brokerLogs, runInstanceLifecycle, type RestCall } from './instance-lifecycle.ts';

/**
 * Issue 22's scenario on the real control plane (tools/kube v1.37.2) with the test node agent as the
 * kubelet: an instance created through the REST API becomes the operator's StatefulSet, Services,
 * PodDisruptionBudget and Secret (TRIBUTARY_RUNTIME=kubernetes as the chart configures it, brokers
 * addressed by pod IP), its three broker pods run the repository's broker as uid 10001, form one
 * cluster on etcd and pass their probes; kcat produces and consumes through the instance's bootstrap
 * addresses with a SCRAM user; a broker setting change rolls the pods one at a time (never two
 * down) and the data survives; scaling to four adds a pod on the fourth node; deleting the instance
 * removes every object through the controller manager's garbage collector and stops the processes
 * (instance-lifecycle.ts). The operator and the API run in this process (helm-install.test.ts runs
 * the same chain with both as the chart's pods). Skipped where the Kubernetes binaries are not
 * built, which includes CI (see tools/kube).
 */
const built = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].every((c) => existsSync(join(KUBE_BIN, c)));
const KEY = 'trib_kube_admin_key_0123456789abcdef';
const NAMESPACE = 'tenants';

describe.skipIf(!built)('an instance on the real control plane, brokers run by the test node agent (skipped without .cache/kube/bin, as in CI: a cold build of the Kubernetes binaries takes 98 min)', () => {
  let cluster: AgentCluster;
  let etcd: TestEtcd;
  let services: TestServices;
  const closers: (() => Promise<unknown>)[] = [];
  let api: RestCall;

  beforeAll(async () => {
    [cluster, etcd, services] = await Promise.all([startAgentCluster(4), startEtcd(), startTestServices()]);
    await cluster.core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
    const store = await PrismaStore.connect(services.databaseUrl);
    const queue = createReconcileQueue(services.redisUrl);
    await ensureBootstrapKey(store, KEY);
    const secrets = SecretBox.generate();
    const app = await buildApp({ store, queue, secrets });
    const runtime = kubernetesRuntimeFromEnv({ TRIBUTARY_INSTANCES_NAMESPACE: NAMESPACE, TRIBUTARY_BROKER_IMAGE: BROKER_IMAGE, TRIBUTARY_BROKER_ADVERTISE: 'pod-ip' }, cluster.kc);
    const operatorStore = new DesiredStateStore(services.databaseUrl, { secrets });
    const operator = await startOperatorWorker({ redisUrl: services.redisUrl, store: operatorStore, reconciler: new InstanceReconciler(runtime, { etcdEndpoints: etcd.endpoint }), resyncMs: 2_000 });
    closers.push(() => operator.close(), () => operatorStore.close(), () => app.close(), () => queue.close(), () => store.close());
    api = async (method, url, payload) => {
      const res = await app.inject({ method, url, payload, headers: { authorization: `Bearer ${KEY}`, ...(payload ? { 'content-type': 'application/json' } : {}) } });
      return { status: res.statusCode, body: res.json() };
    };
  }, 360_000);
  afterAll(async () => {
    for (const close of closers) await close().catch(() => undefined);
    await Promise.all([cluster?.stop(), etcd?.stop(), services?.stop()]);
    expect(devNullDamage()).toBeNull();
  }, 180_000);

  it('REST → StatefulSet, Services, PDB, Secret → broker pods ready → kcat produce and consume → roll one pod at a time → scale-up → deletion removes everything', async () => {
    await runInstanceLifecycle(cluster, NAMESPACE, api, () => brokerLogs(cluster, NAMESPACE));
  }, 900_000);
});
