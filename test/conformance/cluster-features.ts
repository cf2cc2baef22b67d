import { ApiKey, type ApiVersionsResponse, type CreateTopicsResponse } from '@tributary/protocol';
import { expect } from 'vitest';
import { until } from '../support/until.ts';
import type { ClusterSteps } from './cluster-steps.ts';

/**
 * `eligible.leader.replicas.version` 0 on a cluster with a leader killed -9, for
 * protocol-cluster.test.ts (KIP-966's feature switch, kafka-features downgrade): the feature is
 * downgraded through a broker that is not the controller before the kill, then two topics hosted by
 * the broker killed next show what the controller does without ELR — an RF-3 topic at
 * min.insync.replicas=3 whose ISR shrinks below it (no replica goes into the ELR), and an RF-1 topic
 * whose only replica dies (its ISR keeps that replica, leader none, as before KIP-966; with ELR the
 * ISR is empty and the replica in Elr and LastKnownElr). After the kill the feature is upgraded
 * back. Before 2026-12-03 Tributary had no UpdateFeatures and kept the ELR whatever was asked.
 */

const ELR = 'eligible.leader.replicas.version';
export const ELR_OFF_TOPICS = { min3: 'features-elr-off-min3', rf1: 'features-elr-off-rf1' } as const;

const updateBody = (maxVersionLevel: number, upgradeType: number) => ({ timeoutMs: 30_000, featureUpdates: [{ feature: ELR, maxVersionLevel, upgradeType }], validateOnly: false });

/** Every broker named (by address) answers ApiVersions with the ELR feature finalized, or left out (level 0). */
async function everyBrokerSees(steps: ClusterSteps, brokers: number[], finalized: boolean): Promise<void> {
  for (const id of brokers) {
    const c = await steps.connect(steps.address.get(id)!);
    await until(async () => {
      const r = await c.request<ApiVersionsResponse>(ApiKey.ApiVersions, 4, { clientSoftwareName: 'conformance', clientSoftwareVersion: '1' });
      return r.finalizedFeatures.some((f) => f.name === ELR) === finalized ? true : null;
    }, `${steps.cluster.kind}: broker ${id} to see ${ELR} ${finalized ? 'finalized' : 'at 0'}`, 30_000);
  }
}

/** Before the kill: the downgrade (asked of `via`, not the controller) and the two topics on `leader`. */
export async function featuresBeforeKill(steps: ClusterSteps, o: { leader: number; follower: number; other: number; via: number; controller: number; roles: Map<number, string> }): Promise<void> {
  const via = await steps.connect(steps.address.get(o.via)!);
  steps.record('features/downgrade-elr-on-non-controller', await via.send(ApiKey.UpdateFeatures, 1, updateBody(0, 2)), o.roles);
  await everyBrokerSees(steps, [o.leader, o.follower, o.other], false);
  const toController = await steps.connect(steps.address.get(o.controller)!);
  for (const [name, replicas, configs] of [[ELR_OFF_TOPICS.min3, [o.leader, o.follower, o.other], [{ name: 'min.insync.replicas', value: '3' }]], [ELR_OFF_TOPICS.rf1, [o.leader], []]] as const) {
    const made = await toController.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, { topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [...replicas] }], configs: [...configs] }], timeoutMs: 30_000, validateOnly: false });
    expect(made.topics[0]?.errorCode, `${steps.cluster.kind}: CreateTopics ${name}`).toBe(0);
    await steps.cluster.waitForIsr(name, 0, replicas.length, 90_000);
  }
}

interface DescribedPartition { leaderId: number; isrNodes: number[]; eligibleLeaderReplicas: number[] | null; lastKnownElr: number[] | null }

/**
 * After the kill (`killed` out of every ISR): both topics' partition states as `survivor` describes
 * them, then the upgrade back. `replicas`: the min-ISR-3 topic's assignment (the killed broker
 * first); its brokers are named by their place in it (the new leader is the first live one, on both),
 * not by the roles of the scenario's own topic, whose new leader may be either survivor.
 */
export async function featuresAfterKill(steps: ClusterSteps, o: { killed: number; replicas: [number, number, number]; survivor: number; survivors: number[]; roles: Map<number, string> }): Promise<void> {
  const c = await steps.connect(steps.address.get(o.survivor)!);
  const describe = async () => {
    const r = await c.request<{ topics: { name: string; partitions: DescribedPartition[] }[] }>(ApiKey.DescribeTopicPartitions, 0, { topics: [{ name: ELR_OFF_TOPICS.min3 }, { name: ELR_OFF_TOPICS.rf1 }], responsePartitionLimit: 2000, cursor: null });
    return Object.fromEntries(r.topics.map((t) => [t.name, t.partitions.map(({ leaderId, isrNodes, eligibleLeaderReplicas, lastKnownElr }) => ({ leaderId, isrNodes, eligibleLeaderReplicas, lastKnownElr }))[0]]));
  };
  // The killed broker out of the min-ISR-3 topic's ISR and the RF-1 partition without a leader.
  const states = await until(async () => {
    const s = await describe();
    const min3 = s[ELR_OFF_TOPICS.min3];
    const rf1 = s[ELR_OFF_TOPICS.rf1];
    return min3 && rf1 && !min3.isrNodes.includes(o.killed) && min3.isrNodes.length === 2 && rf1.leaderId === -1 ? s : null;
  }, `${steps.cluster.kind}: the killed broker out of ${ELR_OFF_TOPICS.min3}'s ISR and ${ELR_OFF_TOPICS.rf1} leaderless`, 60_000);
  const placed = new Map([[o.replicas[0], 'killed'], [o.replicas[1], 'second replica'], [o.replicas[2], 'third replica']]);
  steps.record('features/elr-off/partitions-after-kill', states, placed);
  steps.record('features/upgrade-elr', await c.send(ApiKey.UpdateFeatures, 1, updateBody(1, 1)), o.roles);
  await everyBrokerSees(steps, o.survivors, true);
}
