import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { commonLabels } from '../labels.ts';
import { instanceNames } from '../naming.ts';
import type { KubeClusterSpec, OwnerRef } from '../spec.ts';

/**
 * The anchor object of an instance. There is no CRD (the control plane's database holds the spec), so
 * a small ConfigMap plays the owner: every other object carries an owner reference to it, and
 * deleting it lets Kubernetes' garbage collector remove the rest, PVCs included (see statefulset.ts).
 */
export function buildOwner(spec: KubeClusterSpec): IConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: instanceNames(spec).owner,
      namespace: spec.namespace,
      labels: commonLabels(spec, 'instance'),
      annotations: spec.instanceName ? { 'tributary.io/instance-name': spec.instanceName } : {},
    },
    data: { instanceId: spec.instanceId },
  };
}

export function ownerRefOf(obj: { apiVersion?: string; kind?: string; metadata?: { name?: string; uid?: string } }): OwnerRef {
  const uid = obj.metadata?.uid;
  const name = obj.metadata?.name;
  if (!uid || !name || !obj.apiVersion || !obj.kind) throw new Error('an owner needs apiVersion, kind, name and uid (read it back from the API server first)');
  return { apiVersion: obj.apiVersion, kind: obj.kind, name, uid };
}
