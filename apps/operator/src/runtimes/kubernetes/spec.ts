import type { IIoK8sApiNetworkingV1NetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
/**
 * Everything the Kubernetes builders need to describe one instance's broker cluster. It is wider than
 * the runtime-neutral `BrokerClusterSpec` (runtime.ts): sizing, placement and image are Kubernetes
 * concerns that the local runtime does not have.
 */
export interface KubeClusterSpec {
  /** The control plane's instance id; becomes the `tributary.io/instance` label. */
  instanceId: string;
  /** Human name of the instance, kept as an annotation only (names may be anything). */
  instanceName?: string;
  namespace: string;
  /** Number of brokers; node ids are ordinal + 1 (1..brokers), as in the local runtime. */
  brokers: number;
  /** Broker image reference, e.g. `ghcr.io/tributary/broker:0.1.0`. */
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** The sold throughput tier of the whole instance (produce + fetch). Drives CPU and memory. */
  bandwidthMBps: number;
  /** The sold disk; every broker gets a volume of this size (see sizing.ts for why). */
  diskGiB: number;
  storageClassName?: string;
  /** Zones the instance may use; with more than one, brokers are spread evenly across them. */
  zones?: string[];
  /**
   * broker.rack from each pod's node zone (`topology.kubernetes.io/zone`), read by an init container
   * with this ServiceAccount's token (it needs `get` on nodes; builders/rack.ts). Absent: no rack.
   */
  rack?: { serviceAccountName: string };
  /** Kafka broker settings by their Kafka names, written to server.properties. */
  brokerConfig: Record<string, string>;
  /** Hash of restart-relevant settings; stamped on the pod template so the status can tell stale pods. */
  configHash: string;
  /**
   * etcd the brokers coordinate through (TRIBUTARY_ETCD_ENDPOINTS, passed to `--etcd-endpoints`, with
   * the instance id as `--cluster-id`). Without it brokers run standalone: only 1 broker makes sense.
   */
  etcdEndpoints?: string[];
  ports?: Partial<BrokerPorts>;
  /** Credentials the operator uses against the cluster (SASL/SCRAM admin), stored in the Secret. */
  adminCredentials?: { username: string; password: string };
  /**
   * Pods besides the instance's brokers that may open the internal listener (the operator's and the
   * API's; NetworkPolicy peers). Default: builders/network-policy.ts DEFAULT_INTERNAL_CLIENTS.
   */
  internalClients?: IIoK8sApiNetworkingV1NetworkPolicyPeer[];
  /** Extra labels (e.g. account, plan) added to every object, below the reserved ones. */
  labels?: Record<string, string>;
  /**
   * `strict` (default): at most one broker per node, required; a cluster needs at least as many
   * schedulable nodes as brokers. `preferred`: spread when possible (small or test clusters).
   */
  nodeSpread?: 'strict' | 'preferred';
  /**
   * TLS for the client endpoint (SASL_SSL instead of SASL_PLAINTEXT): a `kubernetes.io/tls` Secret in
   * the instance's namespace (keys `tls.crt`, chain first, and `tls.key`, unencrypted PEM), as
   * cert-manager writes them. Its certificate must name what clients connect to: the brokers'
   * advertised names (`<pod>.<headless>.<ns>.svc…`) and the bootstrap Service. Every broker mounts it.
   */
  clientTls?: { secretName: string } | null;
  /**
   * What brokers advertise and status reports: `dns` (default) the pod's name under the headless
   * Service, `pod-ip` the pod's IP (downward API `status.podIP`) — for clusters whose clients and
   * operator reach pods by IP but cannot resolve cluster DNS (the test node agent on loopback, flat
   * pod networks reached from outside). The bootstrap lists are then the pods' IPs.
   */
  advertise?: 'dns' | 'pod-ip';
  /** Seconds a broker gets on SIGTERM to hand off leadership and flush; default 120. */
  terminationGracePeriodSeconds?: number;
}

export interface BrokerPorts {
  /** PLAINTEXT: the trusted in-cluster endpoint (the operator's; principal ANONYMOUS is a super user). */
  kafka: number;
  /** SASL_PLAINTEXT (SASL_SSL with `clientTls`): where users log in with SCRAM and their ACLs apply. */
  sasl: number;
  metrics: number;
}

export const DEFAULT_PORTS: BrokerPorts = { kafka: 9092, sasl: 9093, metrics: 9404 };

/** The object that owns every other object of an instance, so that deleting it cascades. */
export interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

export class SpecError extends Error {
  readonly code = 'InvalidClusterSpec';
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'SpecError';
    this.field = field;
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Rejects specs that would build objects the API server refuses, with the field to fix. */
export function checkSpec(spec: KubeClusterSpec): void {
  if (!DNS_LABEL.test(spec.namespace) || spec.namespace.length > 63) throw new SpecError('namespace', `"${spec.namespace}" is not a DNS-1123 label`);
  if (!spec.instanceId || spec.instanceId.length > 63 || !LABEL_VALUE.test(spec.instanceId)) throw new SpecError('instanceId', `"${spec.instanceId}" is not a valid label value`);
  if (!Number.isInteger(spec.brokers) || spec.brokers < 1 || spec.brokers > 100) throw new SpecError('brokers', 'must be an integer from 1 to 100');
  if (!Number.isFinite(spec.bandwidthMBps) || spec.bandwidthMBps <= 0) throw new SpecError('bandwidthMBps', 'must be positive');
  if (!Number.isInteger(spec.diskGiB) || spec.diskGiB < 1) throw new SpecError('diskGiB', 'must be a positive integer');
  if (!spec.image) throw new SpecError('image', 'is required');
  for (const [k, v] of Object.entries(spec.brokerConfig)) {
    if (!/^[a-z0-9][a-z0-9._-]*$/.test(k)) throw new SpecError(`brokerConfig.${k}`, 'is not a Kafka setting name');
    if (/[\r\n]/.test(v)) throw new SpecError(`brokerConfig.${k}`, 'must be a single line');
    if (v !== v.trim()) throw new SpecError(`brokerConfig.${k}`, 'must not start or end with whitespace (server.properties lines are trimmed)');
  }
  for (const [k, v] of Object.entries(spec.labels ?? {})) {
    if (k.startsWith('app.kubernetes.io/') || k.startsWith('tributary.io/')) throw new SpecError(`labels.${k}`, 'is reserved');
    if (!LABEL_VALUE.test(v) || v.length > 63) throw new SpecError(`labels.${k}`, `"${v}" is not a valid label value`);
  }
  if (spec.clientTls && (!DNS_SUBDOMAIN.test(spec.clientTls.secretName) || spec.clientTls.secretName.length > 253)) throw new SpecError('clientTls.secretName', `"${spec.clientTls.secretName}" is not a valid Secret name`);
  const grace = spec.terminationGracePeriodSeconds;
  if (grace !== undefined && (!Number.isInteger(grace) || grace < 10)) throw new SpecError('terminationGracePeriodSeconds', 'must be an integer of at least 10');
}
