import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IIoK8sApiNetworkingV1NetworkPolicyPeer as NetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import { selectorLabels } from '../labels.ts';
import { instanceNames } from '../naming.ts';
import type { KubeClusterSpec, OwnerRef } from '../spec.ts';
import { ownedMetadata } from './metadata.ts';

/**
 * Who may open the internal listener besides the instance's own brokers, when the spec does not say:
 * the API and operator pods of the Helm chart (labels of helm/tributary's `tributary.selector`), in
 * any namespace.
 */
export const DEFAULT_INTERNAL_CLIENTS: NetworkPolicyPeer[] = [
  {
    namespaceSelector: {},
    podSelector: { matchLabels: { 'app.kubernetes.io/name': 'tributary' }, matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'In', values: ['api', 'operator'] }] },
  },
];

/**
 * Fences the brokers' internal listener (runtimes/listeners.ts: trusted, no credentials) to the
 * instance's own brokers (replication) and the operator and the API; the client endpoint (SASL) and
 * the metrics port stay open to any pod. Ports by container port name, so custom ports follow.
 * Enforced only where the cluster's network plugin implements NetworkPolicy.
 */
export function buildNetworkPolicy(spec: KubeClusterSpec, owner: OwnerRef): INetworkPolicy {
  const brokers = { matchLabels: selectorLabels(spec) };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: ownedMetadata(spec, owner, instanceNames(spec).networkPolicy, 'broker'),
    spec: {
      podSelector: brokers,
      policyTypes: ['Ingress'],
      ingress: [
        { ports: [{ protocol: 'TCP', port: 'sasl' }, { protocol: 'TCP', port: 'metrics' }] },
        { from: [{ podSelector: brokers }, ...(spec.internalClients ?? DEFAULT_INTERNAL_CLIENTS)], ports: [{ protocol: 'TCP', port: 'kafka' }] },
      ],
    },
  };
}
