import { addPartition, type Assignment, type ServerAssignor } from './assignor.ts';

/**
 * Kafka's "range" server assignor: per topic, the members subscribed to it in member-id order
 * each get a contiguous range of its partitions (the first `partitions % members` one more), so
 * that members subscribed to co-partitioned topics get the same partition numbers of each.
 * Unlike Kafka's, which keeps a member's current range where its quota allows, ranges are
 * recomputed from the member order each time.
 */
export const rangeAssignor: ServerAssignor = {
  name: 'range',
  assign(members, partitionCounts) {
    const out = new Map<string, Assignment>(members.map((m) => [m.memberId, new Map()]));
    for (const [t, count] of partitionCounts) {
      const subscribers = members.filter((m) => m.subscribedTopicIds.has(t)).map((m) => m.memberId).sort();
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
