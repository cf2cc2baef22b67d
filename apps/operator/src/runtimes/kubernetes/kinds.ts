/** The kinds the Kubernetes runtime reads and writes, with where they live in the API. */
export interface KindInfo {
  apiVersion: string;
  kind: string;
  /** The resource name in URLs. */
  plural: string;
}

export const KINDS = {
  ConfigMap: { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps' },
  Secret: { apiVersion: 'v1', kind: 'Secret', plural: 'secrets' },
  Service: { apiVersion: 'v1', kind: 'Service', plural: 'services' },
  Pod: { apiVersion: 'v1', kind: 'Pod', plural: 'pods' },
  StatefulSet: { apiVersion: 'apps/v1', kind: 'StatefulSet', plural: 'statefulsets' },
  PodDisruptionBudget: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets' },
  NetworkPolicy: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', plural: 'networkpolicies' },
} as const satisfies Record<string, KindInfo>;

export type KindName = keyof typeof KINDS;

/** `/api/v1` for the core group, `/apis/<group>/<version>` for the others. */
export function groupPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

export function collectionPath(info: KindInfo, namespace: string): string {
  return `${groupPath(info.apiVersion)}/namespaces/${namespace}/${info.plural}`;
}
