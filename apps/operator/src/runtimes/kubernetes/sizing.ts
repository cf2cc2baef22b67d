import type { KubeClusterSpec } from './spec.ts';

export interface BrokerResources {
  requests: { cpu: string; memory: string };
  limits: { memory: string };
}

/**
 * From the sold tier to one broker's resources.
 *
 * The tier is the instance's client throughput (produce + fetch). Each broker carries its share of
 * it, multiplied by the replication it also serves (followers fetch what leaders receive; we assume
 * replication factor min(3, brokers)):  perBrokerMBps = ceil(bandwidthMBps / brokers × min(3, brokers)).
 *  - CPU request: 20 millicores per MB/s, at least 500m. No CPU limit: throttling a broker stalls
 *    every partition it leads, and the request already reserves the sold share.
 *  - Memory: 512 MiB + 16 MiB per MB/s (page cache does the rest), at least 1 GiB; the limit equals
 *    the request so that the pod is never the first one the kubelet evicts under pressure.
 * These are starting coefficients, not measured ones (no cluster ran here); they live in one place
 * so that a benchmark can replace them.
 */
export function brokerResources(spec: Pick<KubeClusterSpec, 'bandwidthMBps' | 'brokers'>): BrokerResources {
  const perBroker = Math.ceil((spec.bandwidthMBps / spec.brokers) * Math.min(3, spec.brokers));
  const cpu = Math.max(500, perBroker * 20);
  const memoryMi = Math.max(1024, 512 + perBroker * 16);
  return { requests: { cpu: `${cpu}m`, memory: `${memoryMi}Mi` }, limits: { memory: `${memoryMi}Mi` } };
}

/**
 * Each broker's volume is the whole sold disk. A topic may be replicated to every broker, so any one
 * broker can have to hold all the data; and volumeClaimTemplates are immutable, so a size that moved
 * with the broker count would make scaling impossible without recreating the StatefulSet.
 */
export function brokerVolumeSize(spec: Pick<KubeClusterSpec, 'diskGiB'>): string {
  return `${spec.diskGiB}Gi`;
}
