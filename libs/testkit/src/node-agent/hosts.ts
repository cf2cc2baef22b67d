import { readFileSync, writeFileSync } from 'node:fs';
import type { CoreV1Api, DiscoveryV1Api } from '@kubernetes/client-node';

const HEADER = `# Written by the Tributary test node agent: Service names of the test cluster (no cluster DNS here).
127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
`;

/**
 * The agent's stand-in for cluster DNS: an /etc/hosts for every container, naming each Service as
 * `<svc>.<ns>`, `<svc>.<ns>.svc` and `<svc>.<ns>.svc.cluster.local`. A headless Service names every
 * ready endpoint, and each endpoint with a hostname (a StatefulSet's pods) also gets
 * `<hostname>.<svc>.<ns>.svc[.cluster.local]`, as cluster DNS answers. A ClusterIP Service names its
 * first ready endpoint: with no kube-proxy nothing routes a ClusterIP, so the name leads straight to
 * one pod, and its port must be the pod's (true of the chart's bundled PostgreSQL, Redis and etcd).
 */
export async function clusterHosts(core: CoreV1Api, discovery: DiscoveryV1Api): Promise<string> {
  const [services, slices] = await Promise.all([core.listServiceForAllNamespaces(), discovery.listEndpointSliceForAllNamespaces()]);
  const lines: string[] = [];
  for (const svc of services.items) {
    const ns = svc.metadata!.namespace!;
    const name = svc.metadata!.name!;
    const headless = svc.spec?.clusterIP === 'None';
    const ready = slices.items
      .filter((s) => s.metadata?.namespace === ns && s.metadata?.labels?.['kubernetes.io/service-name'] === name)
      .flatMap((s) => s.endpoints ?? [])
      .filter((e) => e.conditions?.ready !== false)
      .sort((a, b) => (a.addresses[0] ?? '').localeCompare(b.addresses[0] ?? ''));
    const names = (prefix: string) => `${prefix}.${ns} ${prefix}.${ns}.svc ${prefix}.${ns}.svc.cluster.local`;
    for (const endpoint of headless ? ready : ready.slice(0, 1)) {
      const ip = endpoint.addresses[0];
      if (!ip) continue;
      lines.push(`${ip}\t${names(name)}`);
      if (headless && endpoint.hostname) lines.push(`${ip}\t${names(`${endpoint.hostname}.${name}`)}`);
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
