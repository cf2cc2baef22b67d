import type { IService } from 'kubernetes-models/v1/Service';
import { selectorLabels } from '../labels.ts';
import { instanceNames } from '../naming.ts';
import { DEFAULT_PORTS, type KubeClusterSpec, type OwnerRef } from '../spec.ts';
import { ownedMetadata } from './metadata.ts';

/**
 * The headless Service gives every broker a stable DNS name (`<pod>.<service>.<ns>.svc`), which is
 * what brokers advertise. It publishes not-ready addresses because brokers must find each other while
 * they start, before any of them is ready.
 */
export function buildHeadlessService(spec: KubeClusterSpec, owner: OwnerRef): IService {
  const ports = { ...DEFAULT_PORTS, ...spec.ports };
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMetadata(spec, owner, instanceNames(spec).headless, 'broker'),
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: selectorLabels(spec),
      ports: [
        { name: 'kafka', port: ports.kafka, targetPort: 'kafka', protocol: 'TCP' },
        { name: 'sasl', port: ports.sasl, targetPort: 'sasl', protocol: 'TCP' },
        { name: 'metrics', port: ports.metrics, targetPort: 'metrics', protocol: 'TCP' },
      ],
    },
  };
}

/**
 * One address for clients' first connection; after Metadata they talk to each broker by its own name.
 * Only the client endpoint (SASL): the internal listener is reached through the headless Service.
 */
export function buildBootstrapService(spec: KubeClusterSpec, owner: OwnerRef): IService {
  const ports = { ...DEFAULT_PORTS, ...spec.ports };
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMetadata(spec, owner, instanceNames(spec).bootstrap, 'bootstrap'),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(spec),
      ports: [{ name: 'sasl', port: ports.sasl, targetPort: 'sasl', protocol: 'TCP' }],
    },
  };
}

/** The client endpoint: the bootstrap Service's SASL port. */
export function bootstrapAddress(spec: Pick<KubeClusterSpec, 'instanceId' | 'namespace' | 'ports'>): string {
  const port = spec.ports?.sasl ?? DEFAULT_PORTS.sasl;
  return `${instanceNames(spec).bootstrap}.${spec.namespace}.svc.cluster.local:${port}`;
}

/** The internal listener of every broker through the headless Service (the operator's and the API's; trusted). */
export function internalBootstrapAddress(spec: Pick<KubeClusterSpec, 'instanceId' | 'namespace' | 'ports'>): string {
  const port = spec.ports?.kafka ?? DEFAULT_PORTS.kafka;
  return `${instanceNames(spec).headless}.${spec.namespace}.svc.cluster.local:${port}`;
}
