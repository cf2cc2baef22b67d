import type { KubernetesObject } from '@kubernetes/client-node';
import { until } from '@tributary/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BrokerClusterSpec } from '../runtime.ts';
import { buildInstanceObjects, buildOwner } from './builders/index.ts';
import { makeClients, type KubeClients } from './client.ts';
import { KubeError } from './errors.ts';
import type { KindName } from './kinds.ts';
import { KubernetesRuntime, type KubePlacement } from './kubernetes-runtime.ts';
import { FakeKubeApiServer } from './testing/fake-api-server.ts';

/** Watch events of an in-process server: a fine step and a short bound. */
const soon = (done: () => boolean, what: string) => until(done, what, 3_000, undefined, 10);
const NS = 'tenants';
const placement: KubePlacement = { namespace: NS, image: 'ghcr.io/tributary/broker:0.1.0', bandwidthMBps: 60, diskGiB: 100 };
let diskGiB = 100;

function spec(over: Partial<BrokerClusterSpec> = {}): BrokerClusterSpec {
  return { instanceId: 'ins-7', brokers: 3, brokerConfig: { 'num.partitions': '3' }, configHash: 'h1', ...over };
}

async function rejection(p: Promise<unknown>): Promise<KubeError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(KubeError);
    return err as KubeError;
  }
  throw new Error('expected a rejection');
}

describe('kubernetes runtime against the fake API server (real @kubernetes/client-node)', () => {
  let server: FakeKubeApiServer;
  let runtime: KubernetesRuntime;
  let clients: KubeClients;

  beforeEach(async () => {
    diskGiB = 100;
    server = await new FakeKubeApiServer().start();
    runtime = new KubernetesRuntime({ kubeConfig: server.kubeConfig(), placement: () => ({ ...placement, diskGiB }), namespaceOf: () => NS });
    clients = makeClients(server.kubeConfig());
  });
  afterEach(async () => {
    await server.stop();
  });

  it('creates every object of an instance with server-side apply, owned by the anchor', async () => {
    const status = await runtime.ensureBrokers(spec());
    const owner = server.get('ConfigMap', NS, 'kafka-ins-7-instance');
    expect(owner?.metadata.uid).toBeTruthy();
    for (const [kind, name] of [['ConfigMap', 'kafka-ins-7-config'], ['Secret', 'kafka-ins-7-credentials'], ['Service', 'kafka-ins-7-brokers'], ['Service', 'kafka-ins-7-bootstrap'], ['PodDisruptionBudget', 'kafka-ins-7'], ['NetworkPolicy', 'kafka-ins-7-internal'], ['StatefulSet', 'kafka-ins-7']] as const) {
      const o = server.get(kind, NS, name);
      expect(o, `${kind}/${name}`).toBeDefined();
      expect(o!.metadata.ownerReferences[0].uid).toBe(owner!.metadata.uid);
    }
    const patches = server.requests.filter((r) => r.method === 'PATCH');
    expect(patches).toHaveLength(8);
    for (const p of patches) {
      expect(p.contentType).toBe('application/apply-patch+yaml');
      expect(p.query.fieldManager).toBe('tributary-operator');
      expect(p.query.force).toBe('true');
    }
    // Nothing is ready yet: the StatefulSet exists, no pods run.
    expect(status.readyBrokers).toBe(0);
    expect(status.brokers.map((b) => [b.nodeId, b.running, b.ready])).toEqual([[1, false, false], [2, false, false], [3, false, false]]);
    expect(status.conditions.find((c) => c.type === 'BrokersReady')?.status).toBe('False');
    expect(status.internalBootstrapServers).toEqual(['kafka-ins-7-brokers.tenants.svc.cluster.local:9092']);
    expect(status.clientBootstrapServers).toEqual(['kafka-ins-7-bootstrap.tenants.svc.cluster.local:9093']);
    expect(status.clientSecurityProtocol).toBe('SASL_PLAINTEXT');
  });

  it("with client TLS, brokers mount the deployment's kubernetes.io/tls Secret and clients are told SASL_SSL; turning it on rolls the brokers", async () => {
    const plain = await runtime.ensureBrokers(spec());
    server.reconcileStatefulSet(NS, 'kafka-ins-7', [0, 1, 2]);
    const tlsRuntime = new KubernetesRuntime({ kubeConfig: server.kubeConfig(), placement: () => placement, namespaceOf: () => NS, clientTls: { secretName: 'instances-tls' } });
    // The layout is part of every config hash (reconciler): a TLS operator sees the running brokers as stale.
    expect(tlsRuntime.listenerLayout).not.toBe(runtime.listenerLayout);
    expect(plain.clientSecurityProtocol).toBe('SASL_PLAINTEXT');
    const status = await tlsRuntime.ensureBrokers(spec({ configHash: 'h-tls' }));
    expect(status.clientSecurityProtocol).toBe('SASL_SSL');
    expect(status.clientBootstrapServers).toEqual(['kafka-ins-7-bootstrap.tenants.svc.cluster.local:9093']);
    expect(status.conditions.find((c) => c.type === 'ConfigCurrent')).toMatchObject({ status: 'False', message: 'brokers 1, 2, 3 run older settings' });
    const pod = server.get('StatefulSet', NS, 'kafka-ins-7')!.spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'client-tls', secret: { secretName: 'instances-tls', defaultMode: 0o440 } });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'client-tls', mountPath: '/etc/tributary-tls', readOnly: true });
    expect(pod.containers[0].args[2]).toContain('SASL_SSL://0.0.0.0:9093');
    // The operator never reads the Secret (its key stays with the pods), so it needs no access to it.
    expect(server.requests.some((r) => r.path.includes('instances-tls'))).toBe(false);
    // An operator without TLS (e.g. rolled back) reads the protocol from the StatefulSet, not its own options.
    expect((await runtime.observe('ins-7'))!.clientSecurityProtocol).toBe('SASL_SSL');
    await expect(new KubernetesRuntime({ kubeConfig: server.kubeConfig(), placement: () => placement, namespaceOf: () => NS, clientTls: { secretName: 'Bad_Name' } }).ensureBrokers(spec())).rejects.toMatchObject({ code: 'InvalidClusterSpec', field: 'clientTls.secretName' });
  });

  it("passes the reconciler's etcd to the brokers, which then start as one cluster named by the instance id", async () => {
    await runtime.ensureBrokers(spec({ cluster: { etcdEndpoints: 'http://etcd-a:2379,http://etcd-b:2379', clusterId: 'ins-7' } }));
    const container = server.get('StatefulSet', NS, 'kafka-ins-7')!.spec.template.spec.containers[0];
    expect(container.env.find((e: { name: string }) => e.name === 'TRIBUTARY_ETCD_ENDPOINTS').value).toBe('http://etcd-a:2379,http://etcd-b:2379');
    expect(container.env.find((e: { name: string }) => e.name === 'TRIBUTARY_INSTANCE_ID').value).toBe('ins-7');
    expect(container.args[2]).toContain('--etcd-endpoints "$TRIBUTARY_ETCD_ENDPOINTS"');
    expect(container.args[2]).toContain('--cluster-id "$TRIBUTARY_INSTANCE_ID"');
  });

  it('is idempotent: applying the same spec again changes nothing', async () => {
    await runtime.ensureBrokers(spec());
    const before = server.get('StatefulSet', NS, 'kafka-ins-7');
    await runtime.ensureBrokers(spec());
    const after = server.get('StatefulSet', NS, 'kafka-ins-7');
    expect(after?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
    expect(after?.metadata.generation).toBe(1);
  });

  it('reads pod readiness into status and conditions', async () => {
    await runtime.ensureBrokers(spec());
    server.reconcileStatefulSet(NS, 'kafka-ins-7', [0, 2]);
    let status = (await runtime.observe('ins-7'))!;
    expect(status.brokers.map((b) => [b.nodeId, b.running, b.ready])).toEqual([[1, true, true], [2, true, false], [3, true, true]]);
    expect(status.readyBrokers).toBe(2);
    expect(status.brokers[0]!.address).toBe('kafka-ins-7-0.kafka-ins-7-brokers.tenants.svc.cluster.local:9092');
    expect(status.conditions.map((c) => [c.type, c.status])).toEqual([['BrokersScheduled', 'True'], ['BrokersReady', 'False'], ['ConfigCurrent', 'True']]);
    server.reconcileStatefulSet(NS, 'kafka-ins-7', [0, 1, 2]);
    server.bumpRestartCount(NS, 'kafka-ins-7-1');
    status = (await runtime.observe('ins-7'))!;
    expect(status.readyBrokers).toBe(3);
    expect(status.brokers[1]!.restarts).toBe(1);
    expect(status.conditions.find((c) => c.type === 'BrokersReady')).toMatchObject({ status: 'True', reason: 'AllReady' });
    expect(await runtime.observe('no-such-instance')).toBeNull();
  });

  it('scales up and down through the StatefulSet replicas', async () => {
    await runtime.ensureBrokers(spec());
    server.reconcileStatefulSet(NS, 'kafka-ins-7', [0, 1, 2]);
    await runtime.ensureBrokers(spec({ brokers: 5 }));
    const sts = server.get('StatefulSet', NS, 'kafka-ins-7');
    expect(sts?.spec.replicas).toBe(5);
    expect(sts?.metadata.generation).toBe(2);
    server.reconcileStatefulSet(NS, 'kafka-ins-7', [0, 1, 2, 3, 4]);
    expect((await runtime.observe('ins-7'))!.brokers.map((b) => b.nodeId)).toEqual([1, 2, 3, 4, 5]);
    await runtime.ensureBrokers(spec({ brokers: 2 }));
    server.reconcileStatefulSet(NS, 'kafka-ins-7', [0, 1]);
    const status = (await runtime.observe('ins-7'))!;
    expect(status.brokers.map((b) => b.nodeId)).toEqual([1, 2]);
    expect(server.list('Pod', NS).map((p) => p.metadata.name).sort()).toEqual(['kafka-ins-7-0', 'kafka-ins-7-1']);
  });

  it('a settings change marks running brokers stale until each is restarted', async () => {
    await runtime.ensureBrokers(spec());
    server.reconcileStatefulSet(NS, 'kafka-ins-7', [0, 1, 2]);
    await runtime.ensureBrokers(spec({ configHash: 'h2', brokerConfig: { 'num.partitions': '6' } }));
    expect(server.get('ConfigMap', NS, 'kafka-ins-7-config')?.data['server.properties']).toContain('num.partitions=6');
    let status = (await runtime.observe('ins-7'))!;
    expect(status.conditions.find((c) => c.type === 'ConfigCurrent')).toMatchObject({ status: 'False', message: 'brokers 1, 2, 3 run older settings' });
    // A fresh runtime (an operator restart) reads the desired hash from the StatefulSet, not from memory.
    const restarted = new KubernetesRuntime({ kubeConfig: server.kubeConfig(), placement: () => placement, namespaceOf: () => NS });
    expect((await restarted.observe('ins-7'))!.conditions.find((c) => c.type === 'ConfigCurrent')?.status).toBe('False');
    await runtime.restartBroker(spec({ configHash: 'h2' }), 2);
    expect(server.get('Pod', NS, 'kafka-ins-7-1')).toBeUndefined();
    server.reconcileStatefulSet(NS, 'kafka-ins-7', [0, 1, 2]);
    status = (await runtime.observe('ins-7'))!;
    expect(status.brokers.map((b) => b.configHash)).toEqual(['h1', 'h2', 'h1']);
    await expect(runtime.restartBroker(spec(), 4)).rejects.toMatchObject({ code: 'BadRequest' });
  });

  it('a disk change is refused by the API server as an immutable field (Invalid)', async () => {
    await runtime.ensureBrokers(spec());
    diskGiB = 200;
    const err = await rejection(runtime.ensureBrokers(spec()));
    expect(err.code).toBe('Invalid');
    expect(err.status).toBe(422);
    expect(err.message).toContain('spec.volumeClaimTemplates');
  });

  it('watch streams ADDED, MODIFIED and DELETED events for the instance only', async () => {
    const events: string[] = [];
    const ended: Array<[KindName, Error | null]> = [];
    await runtime.ensureBrokers(spec({ instanceId: 'other' }));
    const stop = await runtime.watchInstance('ins-7', (kind, e) => events.push(`${e.type} ${kind}/${e.object.metadata?.name}`), (kind, err) => ended.push([kind, err]));
    await runtime.ensureBrokers(spec());
    await soon(() => events.includes('ADDED StatefulSet/kafka-ins-7'), 'sts ADDED');
    await runtime.ensureBrokers(spec({ brokers: 4 }));
    await soon(() => events.includes('MODIFIED StatefulSet/kafka-ins-7'), 'sts MODIFIED');
    server.reconcileStatefulSet(NS, 'kafka-ins-7', [0]);
    await soon(() => events.includes('ADDED Pod/kafka-ins-7-3'), 'pod ADDED');
    await runtime.deleteCluster('ins-7');
    await soon(() => events.includes('DELETED StatefulSet/kafka-ins-7'), 'sts DELETED');
    await soon(() => events.includes('DELETED Pod/kafka-ins-7-0'), 'pod DELETED');
    expect(events.filter((e) => e.includes('kafka-other'))).toEqual([]);
    expect(events).toContain('ADDED Service/kafka-ins-7-bootstrap');
    expect(events).toContain('DELETED PodDisruptionBudget/kafka-ins-7');
    stop();
    expect(ended).toEqual([]);
  });

  it('a watch reports its end when the server goes away', async () => {
    const ended: Array<[KindName, Error | null]> = [];
    const stop = await runtime.watchInstance('ins-7', () => {}, (kind, err) => ended.push([kind, err]));
    await server.stop();
    await soon(() => ended.length === 7, 'watch end');
    stop();
  });

  it('delete cascades from the owner anchor to every object and the pods; deleting again is fine', async () => {
    await runtime.ensureBrokers(spec());
    await runtime.ensureBrokers(spec({ instanceId: 'keep' }));
    server.reconcileStatefulSet(NS, 'kafka-ins-7', [0, 1, 2]);
    await runtime.deleteCluster('ins-7');
    for (const kind of ['ConfigMap', 'Secret', 'Service', 'PodDisruptionBudget', 'NetworkPolicy', 'StatefulSet', 'Pod'] as const) {
      expect(server.list(kind, NS).filter((o) => o.metadata.name.startsWith('kafka-ins-7')), kind).toEqual([]);
    }
    expect(server.get('StatefulSet', NS, 'kafka-keep')).toBeDefined();
    expect(await runtime.observe('ins-7')).toBeNull();
    await expect(runtime.deleteCluster('ins-7')).resolves.toBeUndefined();
  });

  it('typed errors: NotFound as null/false, AlreadyExists, Conflict on a stale resourceVersion', async () => {
    expect(await clients.StatefulSet.get(NS, 'missing')).toBeNull();
    expect(await clients.Pod.delete(NS, 'missing')).toBe(false);
    const owner = buildOwner({ ...placement, instanceId: 'e1', brokers: 1, brokerConfig: {}, configHash: 'x' }) as KubernetesObject;
    const created = await clients.ConfigMap.create(owner);
    expect((await rejection(clients.ConfigMap.create(owner))).code).toBe('AlreadyExists');
    const fresh = { ...created, data: { instanceId: 'e1', note: 'first' } } as KubernetesObject;
    const updated = await clients.ConfigMap.replace(fresh);
    expect(updated.metadata?.resourceVersion).not.toBe(created.metadata?.resourceVersion);
    const stale = { ...created, data: { instanceId: 'e1', note: 'stale' } } as KubernetesObject;
    const err = await rejection(clients.ConfigMap.replace(stale));
    expect(err.code).toBe('Conflict');
    expect(err.status).toBe(409);
    // A stale resourceVersion in an apply is a conflict too.
    expect((await rejection(clients.ConfigMap.apply(stale))).code).toBe('Conflict');
    expect(server.get('ConfigMap', NS, created.metadata!.name!)?.data.note).toBe('first');
  });

  it('the server rejects with 422 any object that fails Kubernetes schema validation', async () => {
    const owner = await clients.ConfigMap.apply(buildOwner({ ...placement, instanceId: 'bad', brokers: 1, brokerConfig: {}, configHash: 'x' }) as KubernetesObject);
    const sts = buildInstanceObjects({ ...placement, instanceId: 'bad', brokers: 1, brokerConfig: {}, configHash: 'x' }, { apiVersion: 'v1', kind: 'ConfigMap', name: owner.metadata!.name!, uid: owner.metadata!.uid! }).find((o) => o.kind === 'StatefulSet')!;
    const broken = structuredClone(sts) as unknown as { spec: { template: { spec: { containers: Array<Record<string, unknown>> } } } };
    delete broken.spec.template.spec.containers[0]!.name;
    const err = await rejection(clients.StatefulSet.apply(broken as unknown as KubernetesObject));
    expect(err.code).toBe('Invalid');
    expect(err.status).toBe(422);
    expect(err.message).toMatch(/name/);
    expect(server.get('StatefulSet', NS, 'kafka-bad')).toBeUndefined();
    const badName = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'not_valid', namespace: NS } };
    expect((await rejection(clients.ConfigMap.apply(badName))).code).toBe('Invalid');
  });

  it('a wrong token is Unauthorized and an unreachable server is Unavailable', async () => {
    const kc = server.kubeConfig();
    kc.users[0] = { name: 'operator', token: 'wrong' } as never;
    expect((await rejection(makeClients(kc).ConfigMap.list(NS))).code).toBe('Unauthorized');
    const url = server.url;
    await server.stop();
    const gone = new FakeKubeApiServer();
    gone.url = url;
    expect((await rejection(makeClients(gone.kubeConfig()).ConfigMap.list(NS))).code).toBe('Unavailable');
  });
});
