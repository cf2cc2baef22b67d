import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { kcatProduce } from '../support/kcat.ts';
import { untilInstanceRunning, type InstanceBody } from '../support/instance-running.ts';
import { until } from '../support/until.ts';
import type { AgentCluster } from './agent-cluster.ts';

const run = promisify(execFile);

/** One REST call to the API, however the suite reaches it (in-process inject or the API pod's port). */
export type RestCall = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: object) => Promise<{ status: number; body: InstanceBody & { resource?: { id: string; generation: number } } }>;

const isReady = (p: { status?: { conditions?: { type: string; status: string }[] } }) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/**
 * Issue 22's instance chain, once the API and the operator run (in the test's process or as the
 * chart's pods), against the real control plane with the node agent as kubelet: an instance created
 * through REST becomes one StatefulSet (three ready brokers, one per node), two Services, a
 * PodDisruptionBudget of maxUnavailable 1, a Secret and three bound claims; its bootstrap addresses
 * are the pods' IPs; kcat produces and consumes as a SCRAM user with ACLs; a broker setting change
 * replaces every pod while a poll sees at most one broker down (the PDB's budget); the data
 * survives; scaling to four puts a pod on a fourth node; deletion removes every object (the
 * garbage collector, through owner references) and every broker process. The cluster needs four
 * nodes. `explain` adds to a timeout's message.
 */
export async function runInstanceLifecycle(cluster: AgentCluster, namespace: string, api: RestCall, explain: () => string): Promise<void> {
  const { core, apps, policy, agent } = cluster;
  const spec = { zone: 'zone-a', brokers: 3, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 100, topicLimit: 10, consumerGroupLimit: 10, billing: { mode: 'postpaid' } };
  const created = await api('POST', '/v1/instances', { name: 'kube-instance', spec });
  expect(created.status, JSON.stringify(created.body)).toBe(202);
  const id = created.body.resource!.id;
  const read = async () => (await api('GET', `/v1/instances/${id}`)).body;
  const running = await untilInstanceRunning(read, 'the instance to be Running', { ms: 300_000, explain });

  const selector = `tributary.io/instance=${id}`;
  const brokerPods = async () => (await core.listNamespacedPod({ namespace, labelSelector: selector })).items;
  const sts = (await apps.listNamespacedStatefulSet({ namespace, labelSelector: selector })).items;
  expect(sts).toHaveLength(1);
  expect(sts[0]!.status?.readyReplicas).toBe(3);
  const stsName = sts[0]!.metadata!.name!;
  const pods = await brokerPods();
  expect(new Set(pods.map((p) => p.spec!.nodeName)).size).toBe(3); // required anti-affinity: one broker per node
  expect((await core.listNamespacedService({ namespace, labelSelector: selector })).items).toHaveLength(2);
  const pdbs = (await policy.listNamespacedPodDisruptionBudget({ namespace, labelSelector: selector })).items;
  expect(pdbs).toHaveLength(1);
  expect(pdbs[0]!.spec?.maxUnavailable).toBe(1);
  expect((await core.listNamespacedSecret({ namespace, labelSelector: selector })).items).toHaveLength(1);
  expect((await core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector: selector })).items.map((c) => c.status?.phase)).toEqual(['Bound', 'Bound', 'Bound']);
  const bootstrap = (running.status!['bootstrapServers'] as string).split(',');
  expect([...bootstrap].sort()).toEqual(pods.map((p) => `${p.status!.podIP}:9093`).sort());

  expect((await api('POST', `/v1/instances/${id}/topics`, { name: 'orders', partitions: 3, replicationFactor: 3 })).status).toBe(202);
  await until(async () => ((await api('GET', `/v1/instances/${id}/topics/orders`)).body.status?.phase === 'Ready' ? true : null), 'the topic to be Ready', 120_000);
  expect((await api('POST', `/v1/instances/${id}/users`, { name: 'app', password: 'app-password-123', mechanism: 'SCRAM-SHA-512' })).status).toBe(202);
  for (const operation of ['WRITE', 'READ']) expect((await api('POST', `/v1/instances/${id}/acls`, { resourceType: 'TOPIC', resourceName: 'orders', operation, patternType: 'LITERAL', principal: 'User:app' })).status).toBe(202);
  const login = ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', 'sasl.username=app', '-X', 'sasl.password=app-password-123'];
  const messages = Array.from({ length: 1000 }, (_, i) => `m${i}`);
  const consume = (servers: string[]) => run('kcat', ['-C', '-b', servers.join(','), ...login, '-t', 'orders', '-o', 'beginning', '-e', '-q', '-f', '%s\n'], { timeout: 60_000 });
  // The user and its ACLs reach every broker through etcd after the 202s: retry until kcat gets in.
  await until(async () => kcatProduce(['-b', bootstrap.join(','), ...login, '-t', 'orders', '-X', 'acks=all'], messages.join('\n') + '\n', 30_000), 'kcat to produce as app', 120_000);
  // READ may reach a broker later than WRITE did (ACLs travel through etcd): retried as the produce is.
  const { stdout } = await until(() => consume(bootstrap), 'kcat to consume as app', 120_000);
  expect(stdout.split('\n').filter(Boolean).sort()).toEqual([...messages].sort());

  // A broker setting change rolls the pods: the operator deletes one at a time and the StatefulSet
  // controller recreates it. Watched throughout: never more than one broker pod missing or unready.
  const before = new Set(pods.map((p) => p.metadata!.uid));
  const brokerConfig = { 'log.retention.ms': '7200000' };
  const updated = await api('PUT', `/v1/instances/${id}`, { spec: { ...spec, brokerConfig } });
  expect(updated.status).toBe(202);
  const generation = updated.body.resource!.generation;
  let mostDown = 0;
  await until(async () => {
    const ready = (await brokerPods()).filter((p) => !p.metadata!.deletionTimestamp && isReady(p));
    mostDown = Math.max(mostDown, 3 - ready.length);
    const body = await read();
    return body.status?.phase === 'Running' && body.status.observedGeneration === generation && ready.length === 3 && ready.every((p) => !before.has(p.metadata!.uid)) ? true : null;
  }, 'every broker pod replaced by the roll and the instance Running at the new generation', 300_000, explain);
  expect(mostDown).toBeGreaterThanOrEqual(1); // the watch saw the roll
  expect(mostDown).toBe(1);
  const afterRoll = ((await read()).status!['bootstrapServers'] as string).split(',');
  const reread = await until(() => consume(afterRoll), 'kcat to consume after the roll', 120_000);
  expect(reread.stdout.split('\n').filter(Boolean).sort()).toEqual([...messages].sort());

  // Scale-up: a fourth broker pod on the fourth node joins the cluster.
  const scaled = await api('PUT', `/v1/instances/${id}`, { spec: { ...spec, brokers: 4, brokerConfig } });
  expect(scaled.status, JSON.stringify(scaled.body)).toBe(202);
  const grown = await untilInstanceRunning(read, 'the instance Running with four brokers', { ms: 300_000, explain, also: (body) => body.status!.observedGeneration === scaled.body.resource!.generation && body.status!.brokers === 4 });
  expect((grown.status!['bootstrapServers'] as string).split(',')).toHaveLength(4);
  expect(new Set((await brokerPods()).map((p) => p.spec!.nodeName)).size).toBe(4);

  expect((await api('DELETE', `/v1/instances/${id}?force=true`)).status).toBe(202);
  await until(async () => {
    const left = await Promise.all([
      apps.listNamespacedStatefulSet({ namespace, labelSelector: selector }),
      core.listNamespacedService({ namespace, labelSelector: selector }),
      core.listNamespacedSecret({ namespace, labelSelector: selector }),
      core.listNamespacedConfigMap({ namespace, labelSelector: selector }),
      policy.listNamespacedPodDisruptionBudget({ namespace, labelSelector: selector }),
      core.listNamespacedPod({ namespace, labelSelector: selector }),
      core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector: selector }),
    ]);
    const processes = agent.running().filter((p) => p.startsWith(`${namespace}/${stsName}-`));
    return left.every((l) => l.items.length === 0) && processes.length === 0 ? true : null;
  }, 'every object of the instance gone and no broker process left', 180_000, explain);
}

/** The last lines of every broker container the agent runs in `namespace`, for timeouts. */
export function brokerLogs(cluster: AgentCluster, namespace: string): string {
  return cluster.agent.running().filter((p) => p.startsWith(`${namespace}/`)).map((p) => `${p}:\n${cluster.agent.logs(namespace, p.split('/')[1]!, 'broker').slice(-1500)}`).join('\n');
}
