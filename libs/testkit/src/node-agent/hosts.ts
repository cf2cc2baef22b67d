import { readFileSync, writeFileSync } from 'node:fs';
import type { V1Pod, V1Service } from '@kubernetes/client-node';

const HEADER = `# Written by the Tributary test node agent: Service names of the test cluster (no cluster DNS here).
127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
`;

const isReady = (pod: V1Pod) => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** The Service's selector matches the pod (a Service without a selector selects nothing here). */
function selects(svc: V1Service, pod: V1Pod): boolean {
  const selector = svc.spec?.selector;
  if (!selector || Object.keys(selector).length === 0) return false;
  if (pod.metadata?.namespace !== svc.metadata?.namespace) return false;
  return Object.entries(selector).every(([k, v]) => pod.metadata?.labels?.[k] === v);
}

/**
 * The agent's stand-in for cluster DNS: an /etc/hosts for every container, naming each Service as
 * `<svc>.<ns>`, `<svc>.<ns>.svc` and `<svc>.<ns>.svc.cluster.local`, computed from the Services'
 * selectors and the pods — not from EndpointSlices: the API server refuses loopback addresses in an
 * EndpointSlice ("may not be in the loopback range"), and every pod IP here is a 127.x address, so
 * the controller manager's EndpointSlices stay empty. A headless Service names every ready pod it
 * selects (every running one with `publishNotReadyAddresses`), and a pod whose `hostname` and
 * `subdomain` (a StatefulSet's pods) name the Service also gets `<hostname>.<svc>.<ns>.svc[.cluster.local]`,
 * as cluster DNS answers. A ClusterIP Service names its first ready pod: with no kube-proxy nothing
 * routes a ClusterIP, so the name leads straight to one pod, and its port must be the pod's (true of
 * the chart's bundled PostgreSQL, Redis and etcd).
 */
export function clusterHosts(services: V1Service[], pods: V1Pod[]): string {
  const lines: string[] = [];
  const live = pods.filter((p) => p.status?.podIP && !p.metadata?.deletionTimestamp && p.status?.phase === 'Running');
  for (const svc of services) {
    const ns = svc.metadata!.namespace!;
    const name = svc.metadata!.name!;
    const headless = svc.spec?.clusterIP === 'None';
    const publishAll = headless && svc.spec?.publishNotReadyAddresses === true;
    const selected = live
      .filter((p) => selects(svc, p) && (publishAll || isReady(p)))
      .sort((a, b) => a.status!.podIP!.localeCompare(b.status!.podIP!));
    const names = (prefix: string) => `${prefix}.${ns} ${prefix}.${ns}.svc ${prefix}.${ns}.svc.cluster.local`;
    for (const pod of headless ? selected : selected.slice(0, 1)) {
      const ip = pod.status!.podIP!;
      lines.push(`${ip}\t${names(name)}`);
      if (headless && pod.spec?.hostname && pod.spec.subdomain === name) lines.push(`${ip}\t${names(`${pod.spec.hostname}.${name}`)}`);
    }
  }
  return HEADER + lines.sort().join('\n') + (lines.length ? '\n' : '');
}

/**
 * Rewrites the hosts file in place when its content changes: containers bind-mount this very inode,
 * so a new file (rename) would never reach them.
 */
export function updateHostsFile(path: string, content: string): void {
  let current: string | null = null;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    // Not written yet.
  }
  if (current !== content) writeFileSync(path, content);
}

export const EMPTY_HOSTS = HEADER;
