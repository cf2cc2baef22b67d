import type { ClusterView, PartitionRecord } from './cluster-view.ts';
import { changePartition, NO_LEADER, samePartitionState, withElr } from './partition-change.ts';

export interface PartitionChange {
  topic: string;
  partition: number;
  next: PartitionRecord;
  /** The mod revision the change was planned from: the write is refused if the key moved since. */
  modRevision: string;
  reason: 'leader-failed' | 'controlled-shutdown' | 'replica-failed' | 'preferred-leader' | 'leader-returned' | 'unclean-shutdown';
}

export interface PlanOptions {
  /** The broker default; a topic's `unclean.leader.election.enable` config overrides it. */
  uncleanLeaderElection: boolean;
  /** Move leadership back to the preferred (first) replica when it is alive and in sync. */
  preferredLeaders: boolean;
  /** The broker default min.insync.replicas (a topic's own config overrides it); 1 when absent. */
  minInsyncReplicas?: number;
}

/**
 * A topic's effective min.insync.replicas, as Kafka's controller takes it for the ELR
 * (ReplicationControlManager.getTopicEffectiveMinIsr): its own config, else the broker default,
 * capped at its replica count.
 */
export function effectiveMinIsr(configs: Record<string, string>, replicationFactor: number, brokerDefault: number): number {
  const own = configs['min.insync.replicas'];
  return Math.min(own === undefined ? brokerDefault : Number(own), replicationFactor);
}

/**
 * What the controller changes after brokers come, go or announce shutdown, as Kafka's controller
 * does (partition-change.ts): dead brokers and brokers in controlled shutdown leave ISRs (below
 * min.insync.replicas into the ELR; the last member too, leaving the ISR empty), partitions whose
 * leader left elect a new one from the ISR, else the ELR (epoch bump), leaderless partitions elect
 * a returning ISR or ELR member or their last known leader, unclean election only with
 * `unclean.leader.election.enable`; optionally leadership returns to preferred replicas. Pure: the
 * caller writes the result in guarded transactions.
 */
export function planPartitionChanges(view: ClusterView, options: PlanOptions): PartitionChange[] {
  const live = view.liveBrokers();
  const shuttingDown = new Set([...view.brokers.values()].filter((b) => b.shuttingDown).map((b) => b.nodeId));
  const changes: PartitionChange[] = [];
  const elrEnabled = view.elrEnabled();
  for (const [name, topic] of view.topics) {
    // The topic's own unclean.leader.election.enable overrides the broker default.
    const topicUnclean = topic.value.configs['unclean.leader.election.enable'];
    const unclean = topicUnclean === undefined ? options.uncleanLeaderElection : topicUnclean === 'true';
    topic.value.replicas.forEach((replicas, p) => {
      const current = view.partitions.get(`${name}/${p}`);
      if (!current) return;
      const minIsr = effectiveMinIsr(topic.value.configs, replicas.length, options.minInsyncReplicas ?? 1);
      // A dead follower leaves the ISR at once, so acks=-1 does not wait replica.lag.time.max.ms for
      // it; a broker in controlled shutdown leaves it too (Kafka's handleBrokerInControlledShutdown).
      const targetIsr = current.value.isr.filter((id) => live.has(id));
      // A broker back from a kill -9 since this state was written leaves its ISR and ELR first (Kafka's handleBrokerUncleanShutdown).
      const uncleanShutdown = view.uncleanlyReturned(current);
      let next = changePartition({ current: current.value, replicas, targetIsr, live, minIsr, election: unclean ? 'unclean' : 'online', uncleanShutdown, elrEnabled });
      let reason: PartitionChange['reason'] | null = null;
      if (!samePartitionState(next, current.value)) {
        const leaving = current.value.isr.filter((id) => !targetIsr.includes(id));
        if (leaving.some((id) => shuttingDown.has(id)) || shuttingDown.has(current.value.leader)) reason = 'controlled-shutdown';
        else if (uncleanShutdown.length > 0) reason = 'unclean-shutdown';
        else if (next.leader !== current.value.leader) reason = current.value.leader === NO_LEADER ? 'leader-returned' : 'leader-failed';
        else reason = 'replica-failed';
      }
      const preferred = replicas[0]!;
      if (options.preferredLeaders && next.leader !== preferred && next.leader !== NO_LEADER && live.has(preferred) && next.isr.includes(preferred)) {
        next = withElr(next, { leader: preferred, isr: next.isr }, minIsr, false, [], elrEnabled);
        reason ??= 'preferred-leader';
      }
      if (reason) changes.push({ topic: name, partition: p, next, modRevision: current.modRevision, reason });
    });
  }
  return changes;
}
