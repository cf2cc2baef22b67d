import type { ClusterView, PartitionRecord } from './cluster-view.ts';
import { electLeader, moveLeadershipAway, NO_LEADER, type PartitionState } from './leader-election.ts';

export interface PartitionChange {
  topic: string;
  partition: number;
  next: PartitionRecord;
  /** The mod revision the change was planned from: the write is refused if the key moved since. */
  modRevision: string;
  reason: 'leader-failed' | 'controlled-shutdown' | 'replica-failed' | 'preferred-leader' | 'leader-returned';
}

export interface PlanOptions {
  /** The broker default; a topic's `unclean.leader.election.enable` config overrides it. */
  uncleanLeaderElection: boolean;
  /** Move leadership back to the preferred (first) replica when it is alive and in sync. */
  preferredLeaders: boolean;
}

/**
 * What the controller changes after brokers come, go or announce shutdown, as Kafka's controller
 * does: dead brokers leave ISRs, partitions whose leader died or is shutting down elect a new one
 * from the ISR (epoch bump), leaderless partitions elect a returning ISR member, and optionally
 * leadership returns to preferred replicas. Pure: the caller writes the result in guarded
 * transactions.
 */
export function planPartitionChanges(view: ClusterView, options: PlanOptions): PartitionChange[] {
  const registered = new Set(view.brokers.keys());
  const live = view.liveBrokers();
  const shuttingDown = [...view.brokers.values()].filter((b) => b.shuttingDown).map((b) => b.nodeId);
  const changes: PartitionChange[] = [];
  for (const [name, topic] of view.topics) {
    topic.value.replicas.forEach((replicas, p) => {
      const current = view.partitions.get(`${name}/${p}`);
      if (!current) return;
      let state: PartitionState = { replicas, isr: current.value.isr, leader: current.value.leader, leaderEpoch: current.value.leaderEpoch };
      let reason: PartitionChange['reason'] | null = null;
      for (const id of shuttingDown) {
        const moved = moveLeadershipAway(state, id, live);
        if (moved !== state) reason ??= 'controlled-shutdown';
        state = moved;
      }
      const wasLeader = state.leader;
      // The topic's own unclean.leader.election.enable overrides the broker default.
      const topicUnclean = topic.value.configs['unclean.leader.election.enable'];
      const elected = electLeader({ state, liveBrokers: live, uncleanLeaderElection: topicUnclean === undefined ? options.uncleanLeaderElection : topicUnclean === 'true' });
      if (elected !== state) reason ??= wasLeader === NO_LEADER ? 'leader-returned' : 'leader-failed';
      state = elected;
      // A dead follower leaves the ISR at once, so acks=-1 does not wait replica.lag.time.max.ms for it.
      if (state.leader !== NO_LEADER) {
        const isr = state.isr.filter((id) => registered.has(id) || id === state.leader);
        if (isr.length !== state.isr.length) {
          state = { ...state, isr };
          reason ??= 'replica-failed';
        }
      }
      const preferred = replicas[0]!;
      if (options.preferredLeaders && state.leader !== preferred && state.leader !== NO_LEADER && live.has(preferred) && state.isr.includes(preferred)) {
        state = { ...state, leader: preferred, leaderEpoch: state.leaderEpoch + 1 };
        reason ??= 'preferred-leader';
      }
      if (reason) changes.push({ topic: name, partition: p, next: { leader: state.leader, leaderEpoch: state.leaderEpoch, isr: [...state.isr] }, modRevision: current.modRevision, reason });
    });
  }
  return changes;
}
