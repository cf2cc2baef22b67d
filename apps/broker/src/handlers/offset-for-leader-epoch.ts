import { ErrorCode } from '@tributary/protocol';
import { AclOperation as Op, ResourceType } from '../security/acl.ts';
import { allowed, allowedOnCluster } from '../security/request-guards.ts';
import { defineApi } from './api-module.ts';

/**
 * Where a leader epoch ends in the leader's log (KIP-101/279): followers truncate to it after a
 * leader change, consumers use it to detect log truncation (KIP-320).
 */
export const offsetForLeaderEpochApi = defineApi({
  api: 'OffsetForLeaderEpoch',
  minVersion: 0,
  maxVersion: 4,
  serves: 'any-broker',
  authorization: { kind: 'per-resource', acl: 'DESCRIBE on each topic, or CLUSTER_ACTION on the cluster (followers)' },
  handle: (ctx, request, session) => {
    const req = request.body;
    const v = request.apiVersion;
    const follower = v >= 3 && req.replicaId >= 0;
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => {
          const refused = (errorCode: number) => ({ partition: p.partition, errorCode, endOffset: -1n, ...(v >= 1 ? { leaderEpoch: -1 } : {}) });
          if (follower ? !allowedOnCluster(ctx, session, Op.CLUSTER_ACTION) : !allowed(ctx, session, Op.DESCRIBE, ResourceType.TOPIC, t.topic)) return refused(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
          const lead = ctx.replicas.leaderFor(t.topic, p.partition, v >= 2 ? p.currentLeaderEpoch : -1);
          if (!lead.ok) return refused(lead.errorCode);
          const found = lead.log.endOffsetForEpoch(p.leaderEpoch);
          return { partition: p.partition, errorCode: 0, endOffset: BigInt(found.endOffset), ...(v >= 1 ? { leaderEpoch: found.epoch } : {}) };
        }),
      })),
    };
  },
});
