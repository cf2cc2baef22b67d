import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kubernetesRuntimeFromEnv } from './from-env.ts';
import { brokerResources } from './sizing.ts';
import { FakeKubeApiServer } from './testing/fake-api-server.ts';

/** The operator's Kubernetes runtime as the Helm chart's environment configures it (main.ts, TRIBUTARY_RUNTIME=kubernetes). */
describe('kubernetesRuntimeFromEnv', () => {
  let server: FakeKubeApiServer;
  beforeEach(async () => {
    server = await new FakeKubeApiServer().start();
  });
  afterEach(async () => {
    await server.stop();
  });
  const env = { TRIBUTARY_INSTANCES_NAMESPACE: 'tenants', TRIBUTARY_BROKER_IMAGE: 'registry.local/broker:1.2.3' };

  it("builds StatefulSets with the chart's image, pull policy, storage class, spread and TLS, sized by the instance's spec", async () => {
    const runtime = kubernetesRuntimeFromEnv({ ...env, TRIBUTARY_BROKER_IMAGE_PULL_POLICY: 'Never', TRIBUTARY_BROKER_STORAGE_CLASS: 'fast', TRIBUTARY_BROKER_NODE_SPREAD: 'preferred', TRIBUTARY_INSTANCE_TLS_SECRET: 'instances-tls' }, server.kubeConfig());
    const status = await runtime.ensureBrokers({ instanceId: 'ins-1', brokers: 3, brokerConfig: {}, configHash: 'h', size: { bandwidthMBps: 200, diskGiB: 50 } });
    expect(status.clientSecurityProtocol).toBe('SASL_SSL');
    const sts = server.get('StatefulSet', 'tenants', 'kafka-ins-1')!;
    const pod = sts.spec.template.spec;
    expect(pod.containers[0].image).toBe('registry.local/broker:1.2.3');
    expect(pod.containers[0].imagePullPolicy).toBe('Never');
    expect(pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(sts.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'fast', resources: { requests: { storage: '50Gi' } } });
    expect(pod.containers[0].resources).toEqual(brokerResources({ brokers: 3, bandwidthMBps: 200 }));
    expect(pod.volumes.find((v: { name: string }) => v.name === 'client-tls').secret.secretName).toBe('instances-tls');
  });

  it('TRIBUTARY_BROKER_RACK_SERVICE_ACCOUNT: broker pods read their rack from the node zone with that account (builders/rack.ts)', async () => {
    const runtime = kubernetesRuntimeFromEnv({ ...env, TRIBUTARY_BROKER_RACK_SERVICE_ACCOUNT: 'rel-tributary-broker-rack' }, server.kubeConfig());
    await runtime.ensureBrokers({ instanceId: 'ins-rack', brokers: 3, brokerConfig: {}, configHash: 'h' });
    const pod = server.get('StatefulSet', 'tenants', 'kafka-ins-rack')!.spec.template.spec;
    expect(pod.serviceAccountName).toBe('rel-tributary-broker-rack');
    expect(pod.initContainers.map((c: { name: string }) => c.name)).toEqual(['rack']);
  });

  it('defaults: IfNotPresent, strict spread, the cluster default StorageClass, SASL_PLAINTEXT', async () => {
    const runtime = kubernetesRuntimeFromEnv(env, server.kubeConfig());
    const status = await runtime.ensureBrokers({ instanceId: 'ins-2', brokers: 1, brokerConfig: {}, configHash: 'h', size: { bandwidthMBps: 10, diskGiB: 20 } });
    expect(status.clientSecurityProtocol).toBe('SASL_PLAINTEXT');
    const sts = server.get('StatefulSet', 'tenants', 'kafka-ins-2')!;
    expect(sts.spec.template.spec.containers[0].imagePullPolicy).toBe('IfNotPresent');
    expect(sts.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(sts.spec.volumeClaimTemplates[0].spec.storageClassName).toBeUndefined();
  });

  it('TRIBUTARY_BROKER_ADVERTISE=pod-ip: brokers advertise their pod IP and status reports the pods\' IPs as bootstrap servers', async () => {
    const runtime = kubernetesRuntimeFromEnv({ ...env, TRIBUTARY_BROKER_ADVERTISE: 'pod-ip' }, server.kubeConfig());
    await runtime.ensureBrokers({ instanceId: 'ins-3', brokers: 3, brokerConfig: {}, configHash: 'h' });
    const container = server.get('StatefulSet', 'tenants', 'kafka-ins-3')!.spec.template.spec.containers[0];
    expect(container.env).toContainEqual({ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
    expect(container.args[2]).toContain('--advertised-listeners "PLAINTEXT://${POD_IP}:9092,SASL_PLAINTEXT://${POD_IP}:9093"');
    // The fake plays the kubelet and gives pods IPs; pod 1 is then deleted (a restart), so it has none.
    server.reconcileStatefulSet('tenants', 'kafka-ins-3', [0, 1, 2]);
    await runtime.restartBroker({ instanceId: 'ins-3', brokers: 3, brokerConfig: {}, configHash: 'h' }, 2);
    const status = (await runtime.observe('ins-3'))!;
    expect(status.brokers.map((b) => b.address)).toEqual(['10.244.0.1:9092', 'kafka-ins-3-1.kafka-ins-3-brokers.tenants.svc.cluster.local:9092', '10.244.0.3:9092']);
    expect(status.brokers.map((b) => b.metricsAddress)).toEqual(['10.244.0.1:9404', 'kafka-ins-3-1.kafka-ins-3-brokers.tenants.svc.cluster.local:9404', '10.244.0.3:9404']);
    expect(status.internalBootstrapServers).toEqual(['10.244.0.1:9092', '10.244.0.3:9092']);
    expect(status.clientBootstrapServers).toEqual(['10.244.0.1:9093', '10.244.0.3:9093']);
    // The default runtime reading the same StatefulSet reports the same: the mode is read from the template.
    expect((await kubernetesRuntimeFromEnv(env, server.kubeConfig()).observe('ins-3'))!.internalBootstrapServers).toEqual(['10.244.0.1:9092', '10.244.0.3:9092']);
  });

  it.each([
    [{ ...env, TRIBUTARY_BROKER_ADVERTISE: 'hostname' }, 'TRIBUTARY_BROKER_ADVERTISE'],
    [{ TRIBUTARY_BROKER_IMAGE: 'b:1' }, 'TRIBUTARY_INSTANCES_NAMESPACE'],
    [{ TRIBUTARY_INSTANCES_NAMESPACE: 'tenants' }, 'TRIBUTARY_BROKER_IMAGE'],
    [{ ...env, TRIBUTARY_BROKER_IMAGE_PULL_POLICY: 'Sometimes' }, 'TRIBUTARY_BROKER_IMAGE_PULL_POLICY'],
    [{ ...env, TRIBUTARY_BROKER_NODE_SPREAD: 'loose' }, 'TRIBUTARY_BROKER_NODE_SPREAD'],
  ])('refuses %j naming %s', (bad, field) => {
    expect(() => kubernetesRuntimeFromEnv(bad, server.kubeConfig())).toThrow(expect.objectContaining({ code: 'InvalidClusterSpec', field }));
  });
});
