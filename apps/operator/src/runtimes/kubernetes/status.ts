import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { InstanceSecurityProtocol } from '@tributary/contracts';
import type { BrokerObservation, ClusterObservation } from '../runtime.ts';
import { CONFIG_HASH_ANNOTATION } from './labels.ts';
import { brokerHost } from './naming.ts';

export interface Condition {
  type: 'BrokersReady' | 'BrokersScheduled' | 'ConfigCurrent';
  status: 'True' | 'False';
  reason: string;
  message: string;
}

export interface KubeClusterStatus extends ClusterObservation {
  desiredBrokers: number;
  readyBrokers: number;
  conditions: Condition[];
}

function podReady(pod: IPod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * Reads what the StatefulSet and its pods say into the runtime's status. Pure: the caller fetched
 * the objects. Brokers are reported for every desired ordinal, present or not, so that a missing
 * pod shows up as a broker that is not running rather than vanishing from the list.
 */
export function readClusterStatus(
  input: { instanceId: string; namespace: string; kafkaPort: number; metricsPort?: number; internalBootstrap: string; clientBootstrap?: string | null; clientSecurityProtocol?: InstanceSecurityProtocol; desiredConfigHash: string | null; saslPort?: number; podIpAddresses?: boolean },
  sts: IStatefulSet,
  pods: IPod[],
): KubeClusterStatus {
  const stsName = sts.metadata?.name ?? '';
  const desired = sts.spec?.replicas ?? 1;
  const byOrdinal = new Map<number, IPod>();
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    const m = /-(\d+)$/.exec(name);
    if (!m || name !== `${stsName}-${m[1]}`) continue;
    byOrdinal.set(Number(m[1]), pod);
  }
  const brokers: BrokerObservation[] = [];
  // Advertising pod IPs (spec `advertise: pod-ip`): a broker is where its pod's IP is; before it has one, its DNS name stands in.
  const hostOf = (ordinal: number) => (input.podIpAddresses ? byOrdinal.get(ordinal)?.status?.podIP : undefined) ?? brokerHost(input, ordinal);
  for (let ordinal = 0; ordinal < desired; ordinal++) {
    const pod = byOrdinal.get(ordinal);
    const running = pod?.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp;
    brokers.push({
      nodeId: ordinal + 1,
      address: `${hostOf(ordinal)}:${input.kafkaPort}`,
      ...(input.metricsPort ? { metricsAddress: `${hostOf(ordinal)}:${input.metricsPort}` } : {}),
      running,
      ready: running && pod !== undefined && podReady(pod),
      configHash: pod?.metadata?.annotations?.[CONFIG_HASH_ANNOTATION] ?? null,
      restarts: pod?.status?.containerStatuses?.reduce((n, c) => n + c.restartCount, 0) ?? 0,
    });
  }
  const ready = brokers.filter((b) => b.ready).length;
  const running = brokers.filter((b) => b.running).length;
  const stale = input.desiredConfigHash === null ? [] : brokers.filter((b) => b.running && b.configHash !== input.desiredConfigHash).map((b) => b.nodeId);
  const conditions: Condition[] = [
    { type: 'BrokersScheduled', status: running === desired ? 'True' : 'False', reason: running === desired ? 'AllRunning' : 'PodsPending', message: `${running}/${desired} broker pods running` },
    { type: 'BrokersReady', status: ready === desired ? 'True' : 'False', reason: ready === desired ? 'AllReady' : 'BrokersNotReady', message: `${ready}/${desired} brokers ready` },
    { type: 'ConfigCurrent', status: stale.length === 0 ? 'True' : 'False', reason: stale.length === 0 ? 'UpToDate' : 'RestartPending', message: stale.length === 0 ? 'every running broker has the current settings' : `brokers ${stale.join(', ')} run older settings` },
  ];
  // StatefulSets built before the SASL listener existed have no `sasl` port: no client endpoint then.
  // With pod IPs there is no Service name to bootstrap from: every pod that has an IP is a bootstrap server.
  const ips = input.podIpAddresses ? [...byOrdinal.entries()].filter(([o, p]) => o < desired && p.status?.podIP).sort(([a], [b]) => a - b).map(([, p]) => p.status!.podIP!) : null;
  const internalBootstrapServers = ips ? ips.map((ip) => `${ip}:${input.kafkaPort}`) : [input.internalBootstrap];
  const clientBootstrapServers = ips ? (input.saslPort === undefined ? [] : ips.map((ip) => `${ip}:${input.saslPort}`)) : input.clientBootstrap ? [input.clientBootstrap] : [];
  return { instanceId: input.instanceId, brokers, internalBootstrapServers, clientBootstrapServers, clientSecurityProtocol: input.clientSecurityProtocol ?? 'SASL_PLAINTEXT', desiredBrokers: desired, readyBrokers: ready, conditions };
}
