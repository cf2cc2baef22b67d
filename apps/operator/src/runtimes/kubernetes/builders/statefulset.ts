import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IIoK8sApiCoreV1Affinity as Affinity } from 'kubernetes-models/v1/Affinity';
import type { IIoK8sApiCoreV1TopologySpreadConstraint as TopologySpreadConstraint } from 'kubernetes-models/v1/TopologySpreadConstraint';
import type { IIoK8sApiCoreV1EnvVar as EnvVar } from 'kubernetes-models/v1/EnvVar';
import { CONFIG_HASH_ANNOTATION, commonLabels, selectorLabels } from '../labels.ts';
import { instanceNames } from '../naming.ts';
import { brokerResources, brokerVolumeSize } from '../sizing.ts';
import { DEFAULT_PORTS, type KubeClusterSpec, type OwnerRef } from '../spec.ts';
import { ADMIN_PASSWORD_KEY, ADMIN_USER_KEY, SERVER_PROPERTIES } from './config.ts';
import { instanceListeners, instanceSecuritySettings, type ClientTls } from '../../listeners.ts';
import { ownedMetadata } from './metadata.ts';
import { RACK_ARG, RACK_DIR, RACK_SHELL, RACK_VOLUME, rackInitContainer, rackVolumes } from './rack.ts';

export const DATA_DIR = '/var/lib/tributary';
export const CONFIG_DIR = '/etc/tributary';
export const BROKER_UID = 10001;
/** Where the client-TLS Secret (`tls.crt`, `tls.key`) is mounted, read-only. */
export const CLIENT_TLS_DIR = '/etc/tributary-tls';
/** The volume carrying it; its presence in a pod template is how status tells a TLS instance. */
export const CLIENT_TLS_VOLUME = 'client-tls';
/**
 * The broker reads one PEM file holding the private key and the chain (as Kafka's PEM keystores);
 * a `kubernetes.io/tls` Secret has them as two keys, so the start script joins them into the pod's
 * private /tmp (an emptyDir, owner-only) rather than asking deployments for a non-standard Secret.
 */
export const CLIENT_KEYSTORE = '/tmp/client-keystore.pem';
export const KUBE_CLIENT_TLS: ClientTls = { keystore: CLIENT_KEYSTORE };
export const POD_IP_ENV = 'POD_IP';
const ZONE_KEY = 'topology.kubernetes.io/zone';
const HOST_KEY = 'kubernetes.io/hostname';

/**
 * The broker's start command. The node id comes from the pod's ordinal (`<sts>-<n>` → n + 1) and the
 * advertised listeners are the pod's own name under the headless Service, so a restarted pod keeps
 * both its identity and its address. The listener layout of runtimes/listeners.ts, as the local
 * runtime has: PLAINTEXT is internal (trusted; the operator's, the API's and replication's; only the
 * headless Service names it, and the instance's NetworkPolicy admits only those) and SASL_PLAINTEXT is
 * the client endpoint (users log in with SCRAM; ACLs apply; the bootstrap Service) — SASL_SSL when
 * `tls` is set (the spec's `clientTls` Secret, joined into one PEM keystore first). With etcd,
 * the brokers of the instance form one cluster whose id is the instance id. `exec` hands PID to the
 * broker so SIGTERM (controlled shutdown) reaches it (the image runs tini as PID 1; `args` keeps that
 * ENTRYPOINT).
 */
export function brokerStartScript(ports: { kafka: number; sasl: number; metrics: number }, options: { clustered?: boolean; tls?: boolean; podIp?: boolean; rack?: boolean } = {}): string {
  const host = options.podIp ? '${POD_IP}' : '${POD_NAME}.${HEADLESS_SERVICE}.${POD_NAMESPACE}.svc.cluster.local';
  const tls = options.tls ? KUBE_CLIENT_TLS : null;
  const listeners = (h: string) => instanceListeners({ internal: { host: h, port: ports.kafka }, client: { host: h, port: ports.sasl } }, tls);
  return [
    'set -eu',
    'ordinal="${POD_NAME##*-}"',
    // A subshell so the owner-only umask applies to the keystore and nothing the broker writes later.
    ...(tls ? [`(umask 077 && cat ${CLIENT_TLS_DIR}/tls.key ${CLIENT_TLS_DIR}/tls.crt > ${CLIENT_KEYSTORE})`] : []),
    // The node's zone, written by the rack init container (builders/rack.ts); empty: no --rack.
    ...(options.rack ? [RACK_SHELL] : []),
    'exec tributary-broker \\',
    '  --node-id "$((ordinal + 1))" \\',
    // With pod IPs the listeners bind that IP rather than every address: the same as 0.0.0.0 inside
    // a pod's own network namespace, and what lets pods that share one (the test node agent's
    // loopback pods) use the same ports. The metrics port binds the first listener's host too.
    `  --listeners "${listeners(options.podIp ? '${POD_IP}' : '0.0.0.0')}" \\`,
    `  --advertised-listeners "${listeners(host)}" \\`,
    `  --data-dir ${DATA_DIR}/data \\`,
    `  --config ${CONFIG_DIR}/${SERVER_PROPERTIES} \\`,
    ...(options.clustered ? ['  --etcd-endpoints "$TRIBUTARY_ETCD_ENDPOINTS" \\', '  --cluster-id "$TRIBUTARY_INSTANCE_ID" \\'] : []),
    ...(options.rack ? [`  ${RACK_ARG} \\`] : []),
    // After --config (the instance's settings), so that none of those can loosen them.
    ...Object.entries(instanceSecuritySettings(tls)).map(([key, value]) => `  --set ${key}=${value} \\`),
    `  --metrics-port ${ports.metrics}`,
  ].join('\n');
}

function env(spec: KubeClusterSpec): EnvVar[] {
  const names = instanceNames(spec);
  const vars: EnvVar[] = [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    { name: 'HEADLESS_SERVICE', value: names.headless },
    { name: 'TRIBUTARY_INSTANCE_ID', value: spec.instanceId },
  ];
  // Only with `advertise: pod-ip`: its presence in the template is how status tells the mode.
  if (spec.advertise === 'pod-ip') vars.push({ name: POD_IP_ENV, valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
  if (spec.etcdEndpoints?.length) vars.push({ name: 'TRIBUTARY_ETCD_ENDPOINTS', value: spec.etcdEndpoints.join(',') });
  if (spec.adminCredentials) {
    vars.push(
      { name: 'TRIBUTARY_ADMIN_USERNAME', valueFrom: { secretKeyRef: { name: names.secret, key: ADMIN_USER_KEY } } },
      { name: 'TRIBUTARY_ADMIN_PASSWORD', valueFrom: { secretKeyRef: { name: names.secret, key: ADMIN_PASSWORD_KEY } } },
    );
  }
  return vars;
}

export function brokerAffinity(spec: KubeClusterSpec): Affinity {
  const term = { labelSelector: { matchLabels: selectorLabels(spec) }, topologyKey: HOST_KEY };
  const podAntiAffinity = spec.nodeSpread === 'preferred' ? { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] } : { requiredDuringSchedulingIgnoredDuringExecution: [term] };
  const affinity: Affinity = { podAntiAffinity };
  if (spec.zones?.length) {
    affinity.nodeAffinity = {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE_KEY, operator: 'In', values: [...spec.zones] }] }] },
    };
  }
  return affinity;
}

/** Across zones: strict when the instance names several zones (that is what it bought), best effort otherwise. */
export function brokerTopologySpread(spec: KubeClusterSpec): TopologySpreadConstraint[] {
  return [
    {
      maxSkew: 1,
      topologyKey: ZONE_KEY,
      whenUnsatisfiable: (spec.zones?.length ?? 0) > 1 ? 'DoNotSchedule' : 'ScheduleAnyway',
      labelSelector: { matchLabels: selectorLabels(spec) },
    },
  ];
}

const CONTAINER_SECURITY = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };

export function buildStatefulSet(spec: KubeClusterSpec, owner: OwnerRef): IStatefulSet {
  const names = instanceNames(spec);
  const ports = { ...DEFAULT_PORTS, ...spec.ports };
  const grace = spec.terminationGracePeriodSeconds ?? 120;
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: ownedMetadata(spec, owner, names.statefulSet, 'broker'),
    spec: {
      serviceName: names.headless,
      replicas: spec.brokers,
      // Brokers find each other through etcd, not through start order; starting them together is faster.
      podManagementPolicy: 'Parallel',
      // The operator restarts brokers itself, one at a time, waiting for under-replicated partitions
      // to catch up in between; the StatefulSet controller only replaces pods the operator deletes.
      updateStrategy: { type: 'OnDelete' },
      // Deleting the instance deletes its volumes; scaling down keeps them (scaling up again reuses them).
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' },
      selector: { matchLabels: selectorLabels(spec) },
      template: {
        metadata: { labels: commonLabels(spec, 'broker'), annotations: { [CONFIG_HASH_ANNOTATION]: spec.configHash } },
        spec: {
          terminationGracePeriodSeconds: grace,
          // No token in the broker container; with `rack` only the init container gets one (projected).
          automountServiceAccountToken: false,
          ...(spec.rack ? { serviceAccountName: spec.rack.serviceAccountName, initContainers: [rackInitContainer(spec.image, spec.imagePullPolicy ?? 'IfNotPresent', CONTAINER_SECURITY)] } : {}),
          enableServiceLinks: false,
          securityContext: { runAsNonRoot: true, runAsUser: BROKER_UID, runAsGroup: BROKER_UID, fsGroup: BROKER_UID, seccompProfile: { type: 'RuntimeDefault' } },
          affinity: brokerAffinity(spec),
          topologySpreadConstraints: brokerTopologySpread(spec),
          containers: [
            {
              name: 'broker',
              image: spec.image,
              imagePullPolicy: spec.imagePullPolicy ?? 'IfNotPresent',
              args: ['/bin/sh', '-c', brokerStartScript(ports, { clustered: (spec.etcdEndpoints?.length ?? 0) > 0, tls: !!spec.clientTls, podIp: spec.advertise === 'pod-ip', rack: !!spec.rack })],
              env: env(spec),
              ports: [
                { name: 'kafka', containerPort: ports.kafka, protocol: 'TCP' },
                { name: 'sasl', containerPort: ports.sasl, protocol: 'TCP' },
                { name: 'metrics', containerPort: ports.metrics, protocol: 'TCP' },
              ],
              resources: brokerResources(spec),
              // Log recovery after a crash can take minutes; the startup probe holds liveness off until then.
              startupProbe: { httpGet: { path: '/healthz', port: 'metrics' }, periodSeconds: 5, failureThreshold: 120 },
              readinessProbe: { tcpSocket: { port: 'kafka' }, periodSeconds: 5, failureThreshold: 3 },
              livenessProbe: { httpGet: { path: '/healthz', port: 'metrics' }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
              lifecycle: {
                // Give endpoint controllers time to drop this pod from the bootstrap Service before the
                // broker stops accepting connections; the broker's own SIGTERM handler does the rest.
                preStop: { exec: { command: ['/bin/sh', '-c', 'sleep 5'] } },
              },
              securityContext: CONTAINER_SECURITY,
              volumeMounts: [
                { name: 'data', mountPath: DATA_DIR },
                { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
                // The root filesystem is read-only; Node and the shell may still want a scratch /tmp.
                { name: 'tmp', mountPath: '/tmp' },
                ...(spec.clientTls ? [{ name: CLIENT_TLS_VOLUME, mountPath: CLIENT_TLS_DIR, readOnly: true }] : []),
                ...(spec.rack ? [{ name: RACK_VOLUME, mountPath: RACK_DIR, readOnly: true }] : []),
              ],
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: names.config } },
            { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
            // Group-readable: the broker runs as BROKER_UID with fsGroup BROKER_UID, and nobody else needs the key.
            ...(spec.clientTls ? [{ name: CLIENT_TLS_VOLUME, secret: { secretName: spec.clientTls.secretName, defaultMode: 0o440 } }] : []),
            ...(spec.rack ? rackVolumes() : []),
          ],
        },
      },
      volumeClaimTemplates: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: 'data', labels: selectorLabels(spec) },
          spec: {
            accessModes: ['ReadWriteOnce'],
            ...(spec.storageClassName ? { storageClassName: spec.storageClassName } : {}),
            resources: { requests: { storage: brokerVolumeSize(spec) } },
          },
        },
      ],
    },
  };
}
