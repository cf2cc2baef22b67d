import { createHash } from 'node:crypto';
import type { KubeClusterSpec } from './spec.ts';

/**
 * Object names of one instance. StatefulSet pods get a `controller-revision-hash` label of the form
 * `<name>-<10 chars>`, which must fit a 63-character label value, so the base name stays ≤ 40.
 */
export interface InstanceNames {
  base: string;
  owner: string;
  statefulSet: string;
  headless: string;
  bootstrap: string;
  config: string;
  secret: string;
  pdb: string;
  /** The NetworkPolicy that fences the brokers' internal listener. */
  networkPolicy: string;
}

const MAX_BASE = 40;

export function instanceBaseName(instanceId: string): string {
  const cleaned = instanceId.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  const base = `kafka-${cleaned}`;
  if (base.length <= MAX_BASE && cleaned === instanceId) return base;
  // Lower-casing or cleaning can make two ids collide; a hash of the original id keeps them apart.
  const hash = createHash('sha256').update(instanceId).digest('hex').slice(0, 8);
  return `${base.slice(0, MAX_BASE - 9).replace(/-+$/, '')}-${hash}`;
}

export function instanceNames(spec: Pick<KubeClusterSpec, 'instanceId'>): InstanceNames {
  const base = instanceBaseName(spec.instanceId);
  return {
    base,
    owner: `${base}-instance`,
    statefulSet: base,
    headless: `${base}-brokers`,
    bootstrap: `${base}-bootstrap`,
    config: `${base}-config`,
    secret: `${base}-credentials`,
    pdb: base,
    networkPolicy: `${base}-internal`,
  };
}

/** DNS name of broker `ordinal` through the headless Service: stable across pod restarts. */
export function brokerHost(spec: Pick<KubeClusterSpec, 'instanceId' | 'namespace'>, ordinal: number): string {
  const n = instanceNames(spec);
  return `${n.statefulSet}-${ordinal}.${n.headless}.${spec.namespace}.svc.cluster.local`;
}
