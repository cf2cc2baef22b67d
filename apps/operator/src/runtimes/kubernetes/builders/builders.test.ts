import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONFIG_HASH_ANNOTATION, INSTANCE_LABEL } from '../labels.ts';
import { instanceBaseName, instanceNames } from '../naming.ts';
import { brokerResources } from '../sizing.ts';
import { SpecError, type KubeClusterSpec, type OwnerRef } from '../spec.ts';
import { bootstrapAddress, brokerStartScript, buildInstanceObjects, buildOwner, internalBootstrapAddress, ownerRefOf, renderServerProperties, type OwnedObject } from './index.ts';

const owner: OwnerRef = { apiVersion: 'v1', kind: 'ConfigMap', name: 'kafka-ins-1-instance', uid: '5b0c1f0e-0000-4000-8000-000000000001' };

function spec(over: Partial<KubeClusterSpec> = {}): KubeClusterSpec {
  return {
    instanceId: 'ins-1',
    instanceName: 'Orders (prod)',
    namespace: 'tenants',
    brokers: 3,
    image: 'ghcr.io/tributary/broker:0.1.0',
    bandwidthMBps: 100,
    diskGiB: 200,
    brokerConfig: { 'num.partitions': '3', 'log.retention.ms': '604800000' },
    configHash: 'abc123',
    ...over,
  };
}

/** Kubernetes' own schema check for each kind we build; throws with the offending path. */
function validate(obj: OwnedObject | ReturnType<typeof buildOwner>): void {
  switch (obj.kind) {
    case 'StatefulSet': return new StatefulSet(obj).validate();
    case 'ConfigMap': return new ConfigMap(obj).validate();
    case 'Secret': return new Secret(obj).validate();
    case 'Service': return new Service(obj).validate();
    case 'PodDisruptionBudget': return new PodDisruptionBudget(obj).validate();
    case 'NetworkPolicy': return new NetworkPolicy(obj).validate();
  }
}

function byKind<K extends OwnedObject['kind']>(objs: OwnedObject[], kind: K, name?: string): Extract<OwnedObject, { kind: K }> {
  const found = objs.find((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (!found) throw new Error(`no ${kind} ${name ?? ''}`);
  return found as Extract<OwnedObject, { kind: K }>;
}

describe('kubernetes builders', () => {
  it('build one of each kind, all valid against the Kubernetes schemas', () => {
    const objs = buildInstanceObjects(spec(), owner);
    expect(objs.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      'ConfigMap/kafka-ins-1-config',
      'Secret/kafka-ins-1-credentials',
      'Service/kafka-ins-1-brokers',
      'Service/kafka-ins-1-bootstrap',
      'PodDisruptionBudget/kafka-ins-1',
      'NetworkPolicy/kafka-ins-1-internal',
      'StatefulSet/kafka-ins-1',
    ]);
    for (const o of objs) expect(() => validate(o)).not.toThrow();
    expect(() => validate(buildOwner(spec()))).not.toThrow();
  });

  it('the schema check used here does reject a broken object (so the test above can fail)', () => {
    const sts = byKind(buildInstanceObjects(spec(), owner), 'StatefulSet');
    const broken = structuredClone(sts) as unknown as { spec: { replicas: unknown } };
    broken.spec.replicas = 'three';
    expect(() => new StatefulSet(broken as never).validate()).toThrow();
    const noSelector = structuredClone(sts) as unknown as { spec: Record<string, unknown> };
    delete noSelector.spec.selector;
    expect(() => new StatefulSet(noSelector as never).validate()).toThrow();
  });

  it('label every object consistently and point it at the owner so deletion cascades', () => {
    for (const o of buildInstanceObjects(spec({ labels: { 'tributary.io-account': 'acme' } }), owner)) {
      const labels = o.metadata?.labels ?? {};
      expect(labels[INSTANCE_LABEL]).toBe('ins-1');
      expect(labels['app.kubernetes.io/name']).toBe('tributary-broker');
      expect(labels['app.kubernetes.io/instance']).toBe('kafka-ins-1');
      expect(labels['app.kubernetes.io/managed-by']).toBe('tributary-operator');
      expect(labels['app.kubernetes.io/part-of']).toBe('tributary');
      expect(labels['app.kubernetes.io/component']).toBeTruthy();
      expect(labels['tributary.io-account']).toBe('acme');
      expect(o.metadata?.namespace).toBe('tenants');
      expect(o.metadata?.ownerReferences).toEqual([{ ...owner, controller: true, blockOwnerDeletion: true }]);
    }
  });

  it('the owner anchor carries the instance id and its human name', () => {
    const o = buildOwner(spec());
    expect(o.metadata?.name).toBe('kafka-ins-1-instance');
    expect(o.metadata?.ownerReferences).toBeUndefined();
    expect(o.metadata?.annotations?.['tributary.io/instance-name']).toBe('Orders (prod)');
    expect(ownerRefOf({ ...o, metadata: { ...o.metadata, uid: 'u-1' } })).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', name: 'kafka-ins-1-instance', uid: 'u-1' });
    expect(() => ownerRefOf(o)).toThrow(/uid/);
  });

  it('StatefulSet: replicas, headless service name, selector matching the pod labels, OnDelete updates', () => {
    const sts = byKind(buildInstanceObjects(spec({ brokers: 5 }), owner), 'StatefulSet');
    const s = sts.spec!;
    expect(s.replicas).toBe(5);
    expect(s.serviceName).toBe('kafka-ins-1-brokers');
    expect(s.updateStrategy).toEqual({ type: 'OnDelete' });
    expect(s.podManagementPolicy).toBe('Parallel');
    expect(s.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Delete', whenScaled: 'Retain' });
    for (const [k, v] of Object.entries(s.selector.matchLabels!)) expect(s.template.metadata!.labels![k]).toBe(v);
    expect(s.template.metadata!.annotations![CONFIG_HASH_ANNOTATION]).toBe('abc123');
  });

  it('StatefulSet: volume claim from diskGiB and storage class; data and config mounted', () => {
    const sts = byKind(buildInstanceObjects(spec({ diskGiB: 500, storageClassName: 'fast-ssd' }), owner), 'StatefulSet');
    const pvc = sts.spec!.volumeClaimTemplates![0]!;
    expect(pvc.metadata?.name).toBe('data');
    expect(pvc.spec?.resources?.requests?.storage).toBe('500Gi');
    expect(pvc.spec?.storageClassName).toBe('fast-ssd');
    expect(pvc.spec?.accessModes).toEqual(['ReadWriteOnce']);
    const c = sts.spec!.template.spec!.containers[0]!;
    expect(c.volumeMounts).toEqual([
      { name: 'data', mountPath: '/var/lib/tributary' },
      { name: 'config', mountPath: '/etc/tributary', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
    expect(sts.spec!.template.spec!.volumes).toEqual([
      { name: 'config', configMap: { name: 'kafka-ins-1-config' } },
      { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
    ]);
    const noClass = byKind(buildInstanceObjects(spec(), owner), 'StatefulSet').spec!.volumeClaimTemplates![0]!;
    expect(noClass.spec).not.toHaveProperty('storageClassName');
  });

  it('StatefulSet: volume size does not depend on the broker count (volumeClaimTemplates are immutable)', () => {
    const size = (brokers: number) => byKind(buildInstanceObjects(spec({ brokers }), owner), 'StatefulSet').spec!.volumeClaimTemplates![0]!.spec!.resources!.requests!.storage;
    expect(size(1)).toBe(size(7));
  });

  it('StatefulSet: probes, long grace period, preStop, non-root and read-only root', () => {
    const pod = byKind(buildInstanceObjects(spec(), owner), 'StatefulSet').spec!.template.spec!;
    const c = pod.containers[0]!;
    expect(pod.terminationGracePeriodSeconds).toBe(120);
    expect(c.readinessProbe?.tcpSocket?.port).toBe('kafka');
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(c.startupProbe?.httpGet?.path).toBe('/healthz');
    expect(c.lifecycle?.preStop?.exec?.command).toEqual(['/bin/sh', '-c', 'sleep 5']);
    expect(c.ports).toEqual([
      { name: 'kafka', containerPort: 9092, protocol: 'TCP' },
      { name: 'sasl', containerPort: 9093, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9404, protocol: 'TCP' },
    ]);
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(pod.securityContext?.fsGroup).toBe(10001);
    expect(c.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(c.securityContext?.capabilities?.drop).toEqual(['ALL']);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(byKind(buildInstanceObjects(spec({ terminationGracePeriodSeconds: 300 }), owner), 'StatefulSet').spec!.template.spec!.terminationGracePeriodSeconds).toBe(300);
  });

  it('StatefulSet: custom ports reach the container, the services and the start script', () => {
    const objs = buildInstanceObjects(spec({ ports: { kafka: 19092 } }), owner);
    const c = byKind(objs, 'StatefulSet').spec!.template.spec!.containers[0]!;
    expect(c.ports?.[0]?.containerPort).toBe(19092);
    expect(c.ports?.[1]?.containerPort).toBe(9093);
    expect(c.ports?.[2]?.containerPort).toBe(9404);
    expect(c.args?.[2]).toContain('PLAINTEXT://0.0.0.0:19092');
    expect(byKind(objs, 'Service', 'kafka-ins-1-brokers').spec!.ports![0]!.port).toBe(19092);
    expect(internalBootstrapAddress(spec({ ports: { kafka: 19092 } }))).toBe('kafka-ins-1-brokers.tenants.svc.cluster.local:19092');
    expect(bootstrapAddress(spec({ ports: { sasl: 19093 } }))).toBe('kafka-ins-1-bootstrap.tenants.svc.cluster.local:19093');
  });

  it('StatefulSet: environment passes pod identity, etcd and the admin secret', () => {
    const c = byKind(buildInstanceObjects(spec({ etcdEndpoints: ['http://etcd-0:2379', 'http://etcd-1:2379'], adminCredentials: { username: 'admin', password: 's3cret' } }), owner), 'StatefulSet').spec!.template.spec!.containers[0]!;
    const env = Object.fromEntries(c.env!.map((e) => [e.name, e]));
    expect(env.POD_NAME?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
    expect(env.POD_NAMESPACE?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.namespace');
    expect(env.HEADLESS_SERVICE?.value).toBe('kafka-ins-1-brokers');
    expect(env.TRIBUTARY_ETCD_ENDPOINTS?.value).toBe('http://etcd-0:2379,http://etcd-1:2379');
    expect(env.TRIBUTARY_ADMIN_PASSWORD?.valueFrom?.secretKeyRef).toEqual({ name: 'kafka-ins-1-credentials', key: 'admin-password' });
    expect(JSON.stringify(c)).not.toContain('s3cret');
    const bare = byKind(buildInstanceObjects(spec(), owner), 'StatefulSet').spec!.template.spec!.containers[0]!;
    expect(bare.env!.map((e) => e.name)).toEqual(['POD_NAME', 'POD_NAMESPACE', 'HEADLESS_SERVICE', 'TRIBUTARY_INSTANCE_ID']);
  });

  it('StatefulSet: anti-affinity across nodes (strict by default) and spread across zones', () => {
    const strict = byKind(buildInstanceObjects(spec(), owner), 'StatefulSet').spec!.template.spec!;
    const term = strict.affinity!.podAntiAffinity!.requiredDuringSchedulingIgnoredDuringExecution![0]!;
    expect(term.topologyKey).toBe('kubernetes.io/hostname');
    expect(term.labelSelector?.matchLabels?.[INSTANCE_LABEL]).toBe('ins-1');
    expect(strict.affinity!.nodeAffinity).toBeUndefined();
    expect(strict.topologySpreadConstraints![0]).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway' });

    const soft = byKind(buildInstanceObjects(spec({ nodeSpread: 'preferred', zones: ['ap-1a', 'ap-1b'] }), owner), 'StatefulSet').spec!.template.spec!;
    expect(soft.affinity!.podAntiAffinity!.requiredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
    expect(soft.affinity!.podAntiAffinity!.preferredDuringSchedulingIgnoredDuringExecution![0]!.weight).toBe(100);
    expect(soft.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms[0]!.matchExpressions![0]).toEqual({ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['ap-1a', 'ap-1b'] });
    expect(soft.topologySpreadConstraints![0]!.whenUnsatisfiable).toBe('DoNotSchedule');
  });

  it('start script derives the node id from the ordinal and advertises the per-pod DNS name', () => {
    const script = brokerStartScript({ kafka: 9092, sasl: 9093, metrics: 9404 });
    expect(script).toContain('ordinal="${POD_NAME##*-}"');
    expect(script).toContain('--node-id "$((ordinal + 1))"');
    expect(script).toContain('--advertised-listeners "PLAINTEXT://${POD_NAME}.${HEADLESS_SERVICE}.${POD_NAMESPACE}.svc.cluster.local:9092,SASL_PLAINTEXT://${POD_NAME}.${HEADLESS_SERVICE}.${POD_NAMESPACE}.svc.cluster.local:9093"');
    expect(script).not.toContain('--etcd-endpoints');
    const clustered = brokerStartScript({ kafka: 9092, sasl: 9093, metrics: 9404 }, { clustered: true });
    expect(clustered).toContain('--etcd-endpoints "$TRIBUTARY_ETCD_ENDPOINTS"');
    expect(clustered).toContain('--cluster-id "$TRIBUTARY_INSTANCE_ID"');
    expect(script).toContain('--config /etc/tributary/server.properties');
    expect(script).toContain('--metrics-port 9404');
    // The layout of runtimes/listeners.ts: the internal listener trusted, the SASL one for clients, no super user.
    expect(script).toContain('--set tributary.trusted.listeners=PLAINTEXT');
    expect(script).toContain('--set inter.broker.listener.name=PLAINTEXT');
    expect(script).toContain('--set sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512');
    expect(script).not.toContain('super.users');
    // After --config, so the instance's own settings cannot override them.
    expect(script.indexOf('--set tributary.trusted.listeners')).toBeGreaterThan(script.indexOf('--config'));
    expect(script.split('\n')[2]).toMatch(/^exec tributary-broker/);
  });

  it('network policy: the internal listener admits only the instance\'s brokers and the operator and API pods; SASL and metrics stay open', () => {
    const objs = buildInstanceObjects(spec(), owner);
    const np = byKind(objs, 'NetworkPolicy').spec!;
    const brokers = byKind(objs, 'StatefulSet').spec!.selector.matchLabels;
    expect(np.podSelector).toEqual({ matchLabels: brokers });
    expect(np.policyTypes).toEqual(['Ingress']);
    // Named container ports, so custom port numbers follow.
    expect(np.ingress).toEqual([
      { ports: [{ protocol: 'TCP', port: 'sasl' }, { protocol: 'TCP', port: 'metrics' }] },
      {
        from: [
          { podSelector: { matchLabels: brokers } },
          { namespaceSelector: {}, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'tributary' }, matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'In', values: ['api', 'operator'] }] } },
        ],
        ports: [{ protocol: 'TCP', port: 'kafka' }],
      },
    ]);
    const c = byKind(objs, 'StatefulSet').spec!.template.spec!.containers[0]!;
    expect(c.ports!.map((p) => p.name)).toEqual(['kafka', 'sasl', 'metrics']);
    // A deployment names its own operator and API pods.
    const custom = byKind(buildInstanceObjects(spec({ internalClients: [{ podSelector: { matchLabels: { role: 'control-plane' } } }] }), owner), 'NetworkPolicy').spec!;
    expect(custom.ingress![1]!.from).toEqual([{ podSelector: { matchLabels: brokers } }, { podSelector: { matchLabels: { role: 'control-plane' } } }]);
  });

  it('services: headless publishes not-ready addresses; bootstrap is a ClusterIP on the client (SASL) port only', () => {
    const objs = buildInstanceObjects(spec(), owner);
    const headless = byKind(objs, 'Service', 'kafka-ins-1-brokers').spec!;
    expect(headless.clusterIP).toBe('None');
    expect(headless.publishNotReadyAddresses).toBe(true);
    expect(headless.ports!.map((p) => p.name)).toEqual(['kafka', 'sasl', 'metrics']);
    const boot = byKind(objs, 'Service', 'kafka-ins-1-bootstrap').spec!;
    expect(boot.type).toBe('ClusterIP');
    // The internal listener is reachable through the headless Service only; clients get the SASL port.
    expect(boot.ports).toEqual([{ name: 'sasl', port: 9093, targetPort: 'sasl', protocol: 'TCP' }]);
    const sel = byKind(objs, 'StatefulSet').spec!.selector.matchLabels;
    expect(headless.selector).toEqual(sel);
    expect(boot.selector).toEqual(sel);
  });

  it('PDB allows one broker down at a time and selects the brokers', () => {
    const objs = buildInstanceObjects(spec(), owner);
    const pdb = byKind(objs, 'PodDisruptionBudget').spec!;
    expect(pdb.maxUnavailable).toBe(1);
    expect(pdb.selector?.matchLabels).toEqual(byKind(objs, 'StatefulSet').spec!.selector.matchLabels);
  });

  it('ConfigMap renders server.properties sorted and escaped; Secret holds credentials as stringData', () => {
    expect(renderServerProperties({ 'z.b': '2', 'a.b': 'C:\\x', 'm.n': 'a=b' })).toBe('# Written by tributary-operator; edits are overwritten on the next reconcile.\na.b=C:\\x\nm.n=a=b\nz.b=2\n');
    const objs = buildInstanceObjects(spec({ adminCredentials: { username: 'admin', password: 'pw' } }), owner);
    expect(byKind(objs, 'ConfigMap').data!['server.properties']).toContain('num.partitions=3\n');
    expect(byKind(objs, 'Secret').stringData).toEqual({ 'admin-username': 'admin', 'admin-password': 'pw' });
    expect(byKind(buildInstanceObjects(spec(), owner), 'Secret').stringData).toEqual({});
  });

  it('resources follow the documented mapping from bandwidth and broker count', () => {
    expect(brokerResources({ bandwidthMBps: 100, brokers: 3 })).toEqual({ requests: { cpu: '2000m', memory: '2112Mi' }, limits: { memory: '2112Mi' } });
    expect(brokerResources({ bandwidthMBps: 10, brokers: 1 })).toEqual({ requests: { cpu: '500m', memory: '1024Mi' }, limits: { memory: '1024Mi' } });
    // 6 brokers share 300 MB/s with RF 3: 150 MB/s each.
    expect(brokerResources({ bandwidthMBps: 300, brokers: 6 }).requests.cpu).toBe('3000m');
    const c = byKind(buildInstanceObjects(spec(), owner), 'StatefulSet').spec!.template.spec!.containers[0]!;
    expect(c.resources).toEqual(brokerResources(spec()));
    expect(c.resources?.limits).not.toHaveProperty('cpu');
  });

  it('names fit Kubernetes limits for any instance id, and distinct ids never share names', () => {
    expect(instanceBaseName('ins-1')).toBe('kafka-ins-1');
    expect(instanceBaseName('INS-1')).not.toBe(instanceBaseName('ins-1'));
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,61}[A-Za-z0-9]$/), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,61}[A-Za-z0-9]$/), (a, b) => {
        const na = instanceNames({ instanceId: a });
        expect(na.base.length).toBeLessThanOrEqual(40);
        expect(na.base).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
        for (const n of Object.values(na)) expect(n.length).toBeLessThanOrEqual(63);
        if (a !== b) expect(na.base).not.toBe(instanceNames({ instanceId: b }).base);
      }),
      { numRuns: 300 },
    );
  });

  it('any valid spec builds objects that pass schema validation', () => {
    const arbSpec = fc.record({
      instanceId: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}[a-z0-9]$/),
      brokers: fc.integer({ min: 1, max: 100 }),
      bandwidthMBps: fc.integer({ min: 1, max: 10_000 }),
      diskGiB: fc.integer({ min: 1, max: 100_000 }),
      zones: fc.array(fc.constantFrom('z-a', 'z-b', 'z-c'), { maxLength: 3 }),
      nodeSpread: fc.constantFrom('strict' as const, 'preferred' as const),
      brokerConfig: fc.dictionary(fc.stringMatching(/^[a-z][a-z.]{0,20}$/), fc.string({ maxLength: 20 }).filter((v) => !/[\r\n]/.test(v) && v === v.trim())),
    });
    fc.assert(
      fc.property(arbSpec, (s) => {
        for (const o of buildInstanceObjects(spec(s), owner)) validate(o);
      }),
      { numRuns: 100 },
    );
  });

  it.each<[Partial<KubeClusterSpec>, string]>([
    [{ namespace: 'Bad_NS' }, 'namespace'],
    [{ instanceId: '' }, 'instanceId'],
    [{ instanceId: 'has space' }, 'instanceId'],
    [{ brokers: 0 }, 'brokers'],
    [{ brokers: 2.5 }, 'brokers'],
    [{ bandwidthMBps: 0 }, 'bandwidthMBps'],
    [{ diskGiB: 0 }, 'diskGiB'],
    [{ image: '' }, 'image'],
    [{ brokerConfig: { 'bad key': '1' } }, 'brokerConfig.bad key'],
    [{ brokerConfig: { 'a.b': 'x\ny=1' } }, 'brokerConfig.a.b'],
    [{ brokerConfig: { 'a.b': ' x' } }, 'brokerConfig.a.b'],
    [{ labels: { 'tributary.io/instance': 'x' } }, 'labels.tributary.io/instance'],
    [{ labels: { team: 'not valid!' } }, 'labels.team'],
    [{ terminationGracePeriodSeconds: 1 }, 'terminationGracePeriodSeconds'],
  ])('refuses %j naming field %s', (over, field) => {
    try {
      buildInstanceObjects(spec(over), owner);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SpecError);
      expect((err as SpecError).field).toBe(field);
      expect((err as SpecError).code).toBe('InvalidClusterSpec');
    }
  });
});
