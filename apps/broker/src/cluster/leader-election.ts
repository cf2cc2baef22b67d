/**
 * Leader choice for one partition, Kafka's rules: the first replica in assignment order that is
 * alive and in the ISR; outside the ISR only with unclean.leader.election.enable (data loss is
 * accepted then). Every change of leader bumps the leader epoch so followers truncate divergent
 * tails (OffsetForLeaderEpoch) before they fetch again.
 */

export interface PartitionState {
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /** -1 when no replica can lead (Kafka's "no leader"). */
  readonly leader: number;
  readonly leaderEpoch: number;
}

export interface ElectionInput {
  readonly state: PartitionState;
  readonly liveBrokers: ReadonlySet<number>;
  readonly uncleanLeaderElection: boolean;
}

export const NO_LEADER = -1;

/** Returns the next state, or the same object when nothing has to change. */
export function electLeader(input: ElectionInput): PartitionState {
  const { state, liveBrokers, uncleanLeaderElection } = input;
  if (state.leader !== NO_LEADER && liveBrokers.has(state.leader) && state.isr.includes(state.leader)) {
    return state;
  }
  const liveIsr = state.isr.filter((id) => liveBrokers.has(id));
  const clean = state.replicas.find((id) => liveIsr.includes(id));
  if (clean !== undefined) {
    return { replicas: state.replicas, isr: liveIsr, leader: clean, leaderEpoch: state.leaderEpoch + 1 };
  }
  if (uncleanLeaderElection) {
    const unclean = state.replicas.find((id) => liveBrokers.has(id));
    if (unclean !== undefined) {
      // The new leader's log defines the truth: it alone is in sync.
      return { replicas: state.replicas, isr: [unclean], leader: unclean, leaderEpoch: state.leaderEpoch + 1 };
    }
  }
  if (state.leader === NO_LEADER) return state;
  // Kafka keeps the last ISR member in the ISR while leaderless so a clean election stays
  // possible when it returns.
  return { replicas: state.replicas, isr: state.isr, leader: NO_LEADER, leaderEpoch: state.leaderEpoch + 1 };
}

/**
 * Leadership moved away from a broker going down (controlled shutdown): the broker leaves the ISR
 * when others remain, and partitions it leads elect another ISR member.
 */
export function moveLeadershipAway(state: PartitionState, shuttingDown: number, liveBrokers: ReadonlySet<number>): PartitionState {
  const others = new Set([...liveBrokers].filter((id) => id !== shuttingDown));
  if (!state.replicas.includes(shuttingDown)) return state;
  const isrWithout = state.isr.filter((id) => id !== shuttingDown);
  if (isrWithout.length === 0) return state; // last in-sync copy: keep it rather than lose data
  if (state.leader !== shuttingDown) {
    return isrWithout.length === state.isr.length ? state : { ...state, isr: isrWithout };
  }
  return electLeader({ state: { ...state, isr: isrWithout }, liveBrokers: others, uncleanLeaderElection: false });
}
