import { addPartition, type Assignment, type AssignorMember, type ServerAssignor } from './assignor.ts';
import { javaHashOrder, javaIntHash, javaStringHash, kafkaUuidHash } from './java-hash-order.ts';
import { assignHeterogeneous } from './uniform-heterogeneous.ts';

/**
 * Kafka's default server assignor ("uniform"): every partition of the subscribed topics goes to
 * one member subscribed to its topic, counts as even as the subscriptions allow, and a partition
 * stays where the previous target assignment put it unless balance needs it elsewhere (sticky, so
 * that a member joining or leaving moves as few partitions as possible).
 *
 * When every member subscribes to the same topics (Kafka's HOMOGENEOUS subscription type) the
 * assignment is exactly Kafka 4.4's UniformHomogeneousAssignmentBuilder's, member for member
 * (test/conformance/kafka-assignors.test.ts runs Kafka's own classes on the same cases); see assignHomogeneous.
 * Otherwise (HETEROGENEOUS) it follows UniformHeterogeneousAssignmentBuilder's rules
 * (uniform-heterogeneous.ts).
 */
export const uniformAssignor: ServerAssignor = {
  name: 'uniform',
  assign(members, partitionCounts) {
    const first = members[0]?.subscribedTopicIds;
    const homogeneous = first !== undefined && members.every((m) => m.subscribedTopicIds.size === first.size && [...first].every((t) => m.subscribedTopicIds.has(t)));
    return homogeneous ? assignHomogeneous(members, partitionCounts) : assignHeterogeneous(members, partitionCounts);
  },
};

/**
 * Kafka 4.4's UniformHomogeneousAssignmentBuilder's rules. Members are taken in the order of the
 * Java HashMap Kafka keeps them in (member ids put in id order), and each gets a quota: the
 * partitions divided by the members, one more for the first `partitions % members` — but a member
 * whose current partitions do not fill the extra one gives it up while enough members remain after
 * it to take all the extras (so members that already hold one more keep it). A member keeps its
 * current partitions of subscribed topics up to its quota, in the hash order of its topics and
 * partitions; the rest are revoked. The partitions nobody held (topics in hash order, partitions
 * ascending) followed by the revoked ones then fill the members below quota in member order, each
 * taking a contiguous run of that list.
 */
function assignHomogeneous(members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>): Map<string, Assignment> {
  const out = new Map<string, Assignment>(members.map((m) => [m.memberId, new Map()]));
  const byId = new Map(members.map((m) => [m.memberId, m]));
  const order = javaHashOrder([...byId.keys()].sort(), javaStringHash);
  const topics = javaHashOrder([...members[0]!.subscribedTopicIds].filter((t) => partitionCounts.has(t)).sort(), kafkaUuidHash, 'copy');
  if (topics.length === 0) return out;
  const subscribed = new Set(topics);

  const held = new Set<string>();
  for (const m of members) for (const [t, ps] of m.current) for (const p of ps) held.add(`${t}:${p}`);
  const unassigned: [string, number][] = [];
  let total = 0;
  for (const t of topics) {
    const count = partitionCounts.get(t)!;
    for (let p = 0; p < count; p++) if (!held.has(`${t}:${p}`)) unassigned.push([t, p]);
    total += count;
  }
  const minQuota = Math.floor(total / members.length);
  let extras = total % members.length;

  const unfilled: [string, number][] = [];
  order.forEach((memberId, index) => {
    const current = byId.get(memberId)!.current;
    const kept: Assignment = new Map();
    let quota = minQuota;
    let hasExtra = false;
    if (extras > 0) {
      quota++;
      hasExtra = true;
    }
    const currentTopics = [...current.keys()].filter((t) => (current.get(t)?.size ?? 0) > 0).sort();
    for (const t of javaHashOrder(currentTopics, kafkaUuidHash)) {
      if (!subscribed.has(t)) continue; // a topic no longer subscribed is dropped
      const count = partitionCounts.get(t)!;
      const ps = javaHashOrder([...current.get(t)!].filter((p) => p < count).sort((a, b) => a - b), javaIntHash, 'copy');
      const keep: number[] = [];
      if (ps.length <= quota) {
        quota -= ps.length;
        keep.push(...ps);
      } else {
        for (const p of ps) {
          if (quota > 0) {
            quota--;
            keep.push(p);
          } else unassigned.push([t, p]);
        }
      }
      if (keep.length > 0) kept.set(t, new Set(keep));
    }
    if (quota > 0 && hasExtra && members.length - index > extras) {
      quota--;
      hasExtra = false;
    }
    if (quota > 0) unfilled.push([memberId, quota]);
    if (hasExtra) extras--;
    out.set(memberId, kept);
  });

  let next = 0;
  for (const [memberId, quota] of unfilled) {
    const a = out.get(memberId)!;
    for (let i = 0; i < quota && next < unassigned.length; i++, next++) addPartition(a, unassigned[next]![0], unassigned[next]![1]);
  }
  return out;
}
