import type { CoordinationV1Api, CoreV1Api, V1Node } from '@kubernetes/client-node';

export interface AgentNode {
  name: string;
  zone?: string;
}

/** Capacity a test node advertises: generous, so brokers' requests (≥ 1 GiB, 500m each) always fit. */
const CAPACITY = { cpu: '32', memory: '128Gi', pods: '110', 'ephemeral-storage': '100Gi' };

function nodeObject(node: AgentNode, hostIp: string, version: string): V1Node {
  const now = new Date();
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      labels: {
        'kubernetes.io/hostname': node.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'tributary.io/test-node-agent': 'true',
        ...(node.zone ? { 'topology.kubernetes.io/zone': node.zone } : {}),
      },
    },
    spec: {},
    status: {
      capacity: CAPACITY,
      allocatable: CAPACITY,
      addresses: [{ type: 'InternalIP', address: hostIp }, { type: 'Hostname', address: node.name }],
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'tributary test node agent', lastHeartbeatTime: now, lastTransitionTime: now }],
      nodeInfo: { machineID: node.name, systemUUID: node.name, bootID: node.name, kernelVersion: 'host', osImage: 'tributary test node agent', containerRuntimeVersion: 'tributary-test-agent://0', kubeletVersion: version, kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64' },
    },
  };
}

/**
 * A Lease's times are MicroTime, which the API server parses only with six fractional digits, while
 * client-node serialises every Date with toISOString's three: a Date whose ISO form has six.
 */
function microTime(): Date {
  const now = new Date();
  const iso = now.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
  return Object.assign(now, { toISOString: () => iso });
}

/** Registers the node (its status says Ready) and its Lease in kube-node-lease, the heartbeat the node lifecycle controller reads. */
export async function registerNode(core: CoreV1Api, coordination: CoordinationV1Api, node: AgentNode, hostIp: string, version: string): Promise<void> {
  const created = await core.createNode({ body: nodeObject(node, hostIp, version) });
  // Status given at creation is kept, but set it explicitly too (the status subresource is what counts).
  await core.replaceNodeStatus({ name: node.name, body: { ...created, status: nodeObject(node, hostIp, version).status } });
  await coordination.createNamespacedLease({
    namespace: 'kube-node-lease',
    body: { metadata: { name: node.name, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.name, uid: created.metadata!.uid! }] }, spec: { holderIdentity: node.name, leaseDurationSeconds: 40, renewTime: microTime() } },
  });
}

/** Renews the Lease and the Ready condition's heartbeat. */
export async function heartbeat(core: CoreV1Api, coordination: CoordinationV1Api, node: AgentNode, hostIp: string, version: string): Promise<void> {
  const lease = await coordination.readNamespacedLease({ name: node.name, namespace: 'kube-node-lease' });
  await coordination.replaceNamespacedLease({ name: node.name, namespace: 'kube-node-lease', body: { ...lease, spec: { ...lease.spec, renewTime: microTime() } } });
  const current = await core.readNode({ name: node.name });
  const fresh = nodeObject(node, hostIp, version).status!;
  const previous = current.status?.conditions?.find((c) => c.type === 'Ready');
  if (previous?.status === 'True') fresh.conditions![0]!.lastTransitionTime = previous.lastTransitionTime;
  await core.replaceNodeStatus({ name: node.name, body: { ...current, status: { ...current.status, ...fresh } } });
}
