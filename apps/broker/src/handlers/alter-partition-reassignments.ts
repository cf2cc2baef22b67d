import { defineApi } from './api-module.ts';
import { asController, byTopic, onCluster } from './cluster-admin.ts';
import { deadlinePassedAnswer } from './controller-deadline.ts';

/**
 * AlterPartitionReassignments (KIP-455): moves partitions to new replica sets, or cancels a move
 * with null replicas. The controller records the move in etcd and answers at once; the move
 * completes in the background (cluster/reassignment.ts) and ListPartitionReassignments shows it
 * until then. ALTER on the cluster, as Kafka. v1 (KIP-860) adds allow_replication_factor_change:
 * false refuses a target whose length differs from the set the partition is headed for
 * (INVALID_REPLICATION_FACTOR), and the answer echoes the flag.
 */
export const alterPartitionReassignmentsApi = defineApi({
  api: 'AlterPartitionReassignments',
  minVersion: 0,
  maxVersion: 1,
  serves: 'any-broker',
  authorization: onCluster('ALTER'),
  handle: async (ctx, request) => {
    const late = deadlinePassedAnswer(request, request.body.timeoutMs);
    if (late) return late;
    const moves = request.body.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas })));
    const results = await asController(() => ctx.cluster.alterReassignments(moves, request.body.allowReplicationFactorChange));
    return {
      throttleTimeMs: 0,
      allowReplicationFactorChange: request.body.allowReplicationFactorChange,
      errorCode: 0,
      errorMessage: null,
      responses: byTopic(results).map(([name, parts]) => ({ name, partitions: parts.map((r) => ({ partitionIndex: r.partition, errorCode: r.errorCode, errorMessage: r.message })) })),
    };
  },
});
