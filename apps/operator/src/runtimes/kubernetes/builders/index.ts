import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { checkSpec, type KubeClusterSpec, type OwnerRef } from '../spec.ts';
import { buildBrokerConfigMap, buildSecret } from './config.ts';
import { buildNetworkPolicy } from './network-policy.ts';
import { buildPodDisruptionBudget } from './pdb.ts';
import { buildBootstrapService, buildHeadlessService } from './services.ts';
import { buildStatefulSet } from './statefulset.ts';

export { buildOwner, ownerRefOf } from './owner.ts';
export { renderServerProperties } from './config.ts';
export { bootstrapAddress, internalBootstrapAddress } from './services.ts';
export { brokerStartScript } from './statefulset.ts';

export type OwnedObject = IConfigMap | ISecret | IService | IStatefulSet | IPodDisruptionBudget | INetworkPolicy;

/**
 * Every object an instance needs besides its owner, in apply order: what pods mount and resolve
 * (config, secret, services) before the StatefulSet that starts them.
 */
export function buildInstanceObjects(spec: KubeClusterSpec, owner: OwnerRef): OwnedObject[] {
  checkSpec(spec);
  return [
    buildBrokerConfigMap(spec, owner),
    buildSecret(spec, owner),
    buildHeadlessService(spec, owner),
    buildBootstrapService(spec, owner),
    buildPodDisruptionBudget(spec, owner),
    // Before the pods start, so the internal listener is never open to the cluster.
    buildNetworkPolicy(spec, owner),
    buildStatefulSet(spec, owner),
  ];
}
