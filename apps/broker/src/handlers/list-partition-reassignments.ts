import { describeMove } from '../cluster/reassignment.ts';
import { defineApi } from './api-module.ts';
import { byTopic, onCluster } from './cluster-admin.ts';

/**
 * ListPartitionReassignments: the partitions being moved, with their current (moving) replica
 * set and the replicas being added and removed. Any broker answers from its watched copy of etcd.
 * Asked partitions that are not moving (or do not exist) are left out, as Kafka does. DESCRIBE on
 * the cluster.
 */
export const listPartitionReassignmentsApi = defineApi({
  api: 'ListPartitionReassignments',
  minVersion: 0,
  maxVersion: 0,
  serves: 'any-broker',
  authorization: onCluster('DESCRIBE'),
  handle: (ctx, request) => {
    const asked = request.body.topics === null ? null : new Set(request.body.topics.flatMap((t) => t.partitionIndexes.map((p) => `${t.name}\u0000${p}`)));
    const ongoing = ctx.cluster
      .reassignments()
      .filter((m) => asked === null || asked.has(`${m.topic}\u0000${m.partition}`))
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      topics: byTopic(ongoing).map(([name, parts]) => ({ name, partitions: parts.map((m) => ({ partitionIndex: m.partition, ...describeMove(m) })) })),
    };
  },
});
