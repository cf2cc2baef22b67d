import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api, CoreV1Api, KubeConfig, type V1Pod, type V1PodStatus } from '@kubernetes/client-node';
import { clusterHosts, EMPTY_HOSTS, updateHostsFile } from './hosts.ts';
import { hasUtilities } from './launch.ts';
import { heartbeat, registerNode, type AgentNode } from './nodes.ts';
import { PodRunner, type AgentImage } from './pod.ts';
import { provisionVolumes } from './provisioner.ts';

export type { AgentImage } from './pod.ts';
export type { AgentNode } from './nodes.ts';

export interface NodeAgentOptions {
  /** A kubeconfig with the rights of a kubelet and a volume provisioner (the tests give an admin's). */
  kubeconfig: string;
  /** Nodes to register (default one, `agent-node-1`); pods bound to any of them run here. */
  nodes?: AgentNode[];
  /** Image name → what runs for it; an unknown image fails its pod (nothing is pulled). */
  images: Record<string, AgentImage>;
  /** The API server containers reach through KUBERNETES_SERVICE_HOST/PORT (the in-cluster config). */
  apiServer: { host: string; port: number };
  /** kubeletVersion the nodes report (default v1.37.2, the tools/kube release). */
  version?: string;
  /** How often pods and claims are listed and reconciled (default 500 ms). */
  resyncMs?: number;
}

export interface NodeAgent {
  nodes: AgentNode[];
  /** The pod's IP (a 127.x.y.z address of its own), once the agent started it. */
  podIp(namespace: string, name: string): string | undefined;
  /** A container's stdout and stderr so far ('' when unknown). */
  logs(namespace: string, name: string, container: string): string;
  /** Pods this agent runs now, as namespace/name. */
  running(): string[];
  stop(): Promise<void>;
}

/**
 * Test-only stand-in for the kubelet (and a volume provisioner) on this machine, which has no
 * container runtime: registers Nodes, runs the pods bound to them as local processes in private mount
 * namespaces, reports their status, and provisions hostPath volumes for claims. See README.md for
 * what it does and does not do.
 */
export async function startNodeAgent(options: NodeAgentOptions): Promise<NodeAgent> {
  const missing = hasUtilities();
  if (missing) throw new Error(`the test node agent cannot run here: ${missing}`);
  const kc = new KubeConfig();
  kc.loadFromFile(options.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const coordination = kc.makeApiClient(CoordinationV1Api);
  const nodes = options.nodes ?? [{ name: 'agent-node-1' }];
  const version = options.version ?? 'v1.37.2';
  const hostIp = '127.0.0.1';
  const dir = mkdtempSync(join(tmpdir(), 'tributary-node-agent-'));
  const volumesDir = join(dir, 'pv');
  mkdirSync(volumesDir);
  // Every container's /etc/hosts (bind-mounted, rewritten in place): the agent's cluster DNS, see hosts.ts.
  const hostsFile = join(dir, 'hosts');
  updateHostsFile(hostsFile, EMPTY_HOSTS);
  try {
    for (const node of nodes) await registerNode(core, coordination, node, hostIp, version);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true }); // nothing runs yet: a failed start leaves nothing behind
    throw err;
  }

  // Every pod gets its own loopback address (all of 127/8 is loopback on Linux), so pods can use the
  // same ports as in a cluster without colliding; the second octet is random per agent so two test
  // clusters on one machine do not share addresses.
  const octet = 16 + Math.floor(Math.random() * 224);
  let nextIp = 0;
  const allocateIp = () => {
    nextIp++;
    return `127.${octet}.${Math.floor(nextIp / 250)}.${(nextIp % 250) + 1}`;
  };

  const runners = new Map<string, PodRunner>(); // by pod uid
  const stopping = new Set<string>();
  const keyOf = (pod: V1Pod) => `${pod.metadata!.namespace}/${pod.metadata!.name}`;

  const report = async (pod: V1Pod, status: V1PodStatus): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      const current = await core.readNamespacedPod({ name: pod.metadata!.name!, namespace: pod.metadata!.namespace! });
      if (current.metadata?.uid !== pod.metadata!.uid) return; // replaced by a new pod of the same name
      try {
        await core.replaceNamespacedPodStatus({ name: pod.metadata!.name!, namespace: pod.metadata!.namespace!, body: { ...current, status: { ...current.status, ...status } } });
        return;
      } catch (err) {
        if ((err as { code?: number }).code !== 409 || attempt >= 5) throw err;
      }
    }
  };

  const finish = async (pod: V1Pod, runner: PodRunner | undefined) => {
    const uid = pod.metadata!.uid!;
    stopping.add(uid);
    try {
      await runner?.stop(pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30);
      // The kubelet's last word: delete with grace 0 once the containers are gone, for this very pod.
      await core.deleteNamespacedPod({ name: pod.metadata!.name!, namespace: pod.metadata!.namespace!, gracePeriodSeconds: 0, body: { gracePeriodSeconds: 0, preconditions: { uid } } }).catch(() => undefined);
    } finally {
      runners.delete(uid);
      stopping.delete(uid);
    }
  };

  const ours = new Set(nodes.map((n) => n.name));
  const sync = async () => {
    await provisionVolumes(core, volumesDir);
    const [services, all] = await Promise.all([core.listServiceForAllNamespaces(), core.listPodForAllNamespaces()]);
    updateHostsFile(hostsFile, clusterHosts(services.items, all.items));
    const pods = all.items.filter((p) => p.spec?.nodeName && ours.has(p.spec.nodeName));
    const seen = new Set<string>();
    for (const pod of pods) {
      const uid = pod.metadata!.uid!;
      seen.add(uid);
      const runner = runners.get(uid);
      if (pod.metadata?.deletionTimestamp) {
        if (!stopping.has(uid)) void finish(pod, runner);
        continue;
      }
      if (runner) {
        runner.pod = pod;
        continue;
      }
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      const created = new PodRunner(pod, { core, images: options.images, kubeletEnv: { KUBERNETES_SERVICE_HOST: options.apiServer.host, KUBERNETES_SERVICE_PORT: String(options.apiServer.port), KUBERNETES_SERVICE_PORT_HTTPS: String(options.apiServer.port) }, podIp: allocateIp(), hostIp, dir: join(dir, 'pods', uid), volumesDir, hostsFile, report });
      runners.set(uid, created);
      void created.start();
    }
    // Pods deleted outright (grace 0, or their namespace): stop what still runs.
    for (const [uid, runner] of runners) if (!seen.has(uid) && !stopping.has(uid)) void finish(runner.pod, runner);
  };

  let closed = false;
  let syncing: Promise<void> = Promise.resolve();
  const resync = setInterval(() => {
    syncing = syncing.then(() => (closed ? undefined : sync().catch(() => undefined)));
  }, options.resyncMs ?? 500);
  const beat = setInterval(() => {
    for (const node of nodes) void heartbeat(core, coordination, node, hostIp, version).catch(() => undefined);
  }, 10_000);

  return {
    nodes,
    podIp: (namespace, name) => [...runners.values()].find((r) => keyOf(r.pod) === `${namespace}/${name}`)?.status().podIP,
    logs: (namespace, name, container) => {
      const runner = [...runners.values()].find((r) => keyOf(r.pod) === `${namespace}/${name}`);
      const file = runner?.logFile(container);
      return file && existsSync(file) ? readFileSync(file, 'utf8') : '';
    },
    running: () => [...runners.values()].map((r) => keyOf(r.pod)),
    stop: async () => {
      closed = true;
      clearInterval(resync);
      clearInterval(beat);
      await syncing;
      await Promise.all([...runners.values()].map((r) => r.stop(5)));
      runners.clear();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
