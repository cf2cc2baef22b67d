import type { IIoK8sApimachineryPkgApisMetaV1ObjectMeta as ObjectMeta } from '@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta';
import { commonLabels } from '../labels.ts';
import type { KubeClusterSpec, OwnerRef } from '../spec.ts';

/** Metadata every owned object shares: namespace, labels, and the owner reference that cascades deletion. */
export function ownedMetadata(spec: KubeClusterSpec, owner: OwnerRef, name: string, component: string): ObjectMeta {
  return {
    name,
    namespace: spec.namespace,
    labels: commonLabels(spec, component),
    ownerReferences: [{ apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: true }],
  };
}
