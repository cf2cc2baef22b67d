import { defineApi } from './api-module.ts';
import { asController, byTopic, onCluster } from './cluster-admin.ts';
import { deadlinePassedAnswer } from './controller-deadline.ts';

/**
 * ElectLeaders (KIP-460): preferred (v0's only kind) or unclean elections, decided by the
 * controller (cluster/elect-leaders.ts) and answered once written. Null partitions elect every
 * partition and answer only for those that needed it. ALTER on the cluster, as Kafka.
 */
export const electLeadersApi = defineApi({
  api: 'ElectLeaders',
  minVersion: 0,
  maxVersion: 2,
  serves: 'any-broker',
  authorization: onCluster('ALTER'),
  handle: async (ctx, request) => {
    const req = request.body;
    const late = deadlinePassedAnswer(request, req.timeoutMs);
    if (late) return late;
    // v0 has no election type: it elects preferred leaders.
    const type = request.apiVersion === 0 ? 0 : req.electionType;
    const partitions = req.topicPartitions === null ? null : req.topicPartitions.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
    const results = await asController(() => ctx.cluster.electLeaders(type, partitions));
    const grouped = new Map(byTopic(results));
    // Electing every partition, Kafka names every topic, with only the partitions it elected.
    const topics = partitions === null ? ctx.topics.list().map((t) => t.name) : [...grouped.keys()];
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      replicaElectionResults: topics.map((topic) => ({ topic, partitionResult: (grouped.get(topic) ?? []).map((r) => ({ partitionId: r.partition, errorCode: r.errorCode, errorMessage: r.message })) })),
    };
  },
});
