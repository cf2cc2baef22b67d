import { addPartition, type Assignment, type AssignorMember, type ServerAssignor } from './assignor.ts';

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Kafka's RangeAssignor.sortMemberIds: static members first in instance-id order, then member-id order. */
function byRangeOrder(a: AssignorMember, b: AssignorMember): number {
  if (a.instanceId && b.instanceId) return compare(a.instanceId, b.instanceId);
  if (a.instanceId) return -1;
  if (b.instanceId) return 1;
  return compare(a.memberId, b.memberId);
}

/**
 * Kafka's "range" server assignor: per topic, the members subscribed to it in member-id order
 * each get a contiguous range of its partitions (the first `partitions % members` one more), so
 * that members subscribed to co-partitioned topics get the same partition numbers of each.
 * Members are ordered as Kafka 4.4 orders them: static members first, by instance id, then the
 * others by member id. As in Kafka 4.4, ranges are recomputed from that order each time (no
 * stickiness beyond the order static members keep).
 */
export const rangeAssignor: ServerAssignor = {
  name: 'range',
  assign(members, partitionCounts) {
    const out = new Map<string, Assignment>(members.map((m) => [m.memberId, new Map()]));
    for (const [t, count] of partitionCounts) {
      const subscribers = members.filter((m) => m.subscribedTopicIds.has(t)).sort(byRangeOrder).map((m) => m.memberId);
      if (subscribers.length === 0) continue;
      const per = Math.floor(count / subscribers.length);
      const extra = count % subscribers.length;
      let next = 0;
      subscribers.forEach((memberId, i) => {
        const n = per + (i < extra ? 1 : 0);
        for (let p = next; p < next + n; p++) addPartition(out.get(memberId)!, t, p);
        next += n;
      });
    }
    return out;
  },
};
