import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { selectorLabels } from '../labels.ts';
import { instanceNames } from '../naming.ts';
import type { KubeClusterSpec, OwnerRef } from '../spec.ts';
import { ownedMetadata } from './metadata.ts';

/** Voluntary disruptions (node drains) take at most one broker at a time, like our rolling restarts. */
export function buildPodDisruptionBudget(spec: KubeClusterSpec, owner: OwnerRef): IPodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: ownedMetadata(spec, owner, instanceNames(spec).pdb, 'broker'),
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(spec) } },
  };
}
