import { addPartition, type Assignment, type AssignorMember, type ServerAssignor } from './assignor.ts';

/**
 * Kafka's default server assignor ("uniform"): every partition of the subscribed topics goes to
 * one member subscribed to its topic, counts as even as the subscriptions allow, and a partition
 * stays where the previous target assignment put it unless balance needs it elsewhere (sticky, so
 * that a member joining or leaving moves as few partitions as possible).
 *
 * The steps: (1) each member keeps the partitions it was meant to own that still exist and that it
 * still subscribes to; (2) every other partition goes to the least-loaded member subscribed to its
 * topic; (3) while a member holds two or more partitions more than another member that could take
 * one of them, its last partition moves. Kafka's own balancing (UniformHomogeneous/Heterogeneous
 * AssignmentBuilder) reaches the same counts; which partition moves on a tie may differ.
 */
export const uniformAssignor: ServerAssignor = {
  name: 'uniform',
  assign(members, partitionCounts) {
    const load = new Map<string, [string, number][]>(members.map((m) => [m.memberId, []]));
    const owner = new Map<string, string>();
    const key = (t: string, p: number) => `${t}:${p}`;
    const give = (m: string, t: string, p: number) => {
      load.get(m)!.push([t, p]);
      owner.set(key(t, p), m);
    };
    for (const m of members) {
      for (const [t, ps] of m.current) {
        const count = partitionCounts.get(t);
        if (count === undefined || !m.subscribedTopicIds.has(t)) continue;
        for (const p of [...ps].sort((a, b) => a - b)) if (p < count && !owner.has(key(t, p))) give(m.memberId, t, p);
      }
    }
    const eligible = (t: string) => members.filter((m) => m.subscribedTopicIds.has(t));
    const leastLoaded = (candidates: readonly AssignorMember[]) => candidates.reduce((best, m) => (load.get(m.memberId)!.length < load.get(best.memberId)!.length ? m : best));
    for (const t of [...partitionCounts.keys()].sort()) {
      const candidates = eligible(t);
      if (candidates.length === 0) continue;
      for (let p = 0; p < partitionCounts.get(t)!; p++) if (!owner.has(key(t, p))) give(leastLoaded(candidates).memberId, t, p);
    }
    // Balance: move partitions from the fullest member to one that holds two or more fewer.
    for (let moves = 0, moved = true; moved && moves < 100_000; moves++) {
      moved = false;
      // Among equally loaded members, the last in member-id order gives a partition up first (as Kafka's assignor does).
      const byLoad = [...members].sort((a, b) => load.get(b.memberId)!.length - load.get(a.memberId)!.length || (a.memberId < b.memberId ? 1 : -1));
      for (const from of byLoad) {
        const held = load.get(from.memberId)!;
        for (let i = held.length - 1; i >= 0 && !moved; i--) {
          const [t, p] = held[i]!;
          const takers = eligible(t).filter((m) => load.get(m.memberId)!.length <= held.length - 2);
          if (takers.length === 0) continue;
          const to = leastLoaded(takers);
          held.splice(i, 1);
          give(to.memberId, t, p);
          moved = true;
        }
        if (moved) break;
      }
    }
    const out = new Map<string, Assignment>();
    for (const m of members) {
      const a: Assignment = new Map();
      for (const [t, p] of load.get(m.memberId)!) addPartition(a, t, p);
      out.set(m.memberId, a);
    }
    return out;
  },
};
