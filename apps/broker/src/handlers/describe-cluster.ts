import { AclOperation as Op } from '../security/acl.ts';
import { allowedOnCluster, authorizedOperations } from '../security/request-guards.ts';
import { listenerFor } from '../config/broker-config.ts';
import { defineApi } from './api-module.ts';

/**
 * DescribeCluster answers every principal, as Kafka's AuthHelper.computeDescribeClusterResponse
 * does (the brokers are no secret: Metadata names them too); DESCRIBE on the cluster only decides
 * whether the authorized-operations bitfield a client asks for is filled in (0 without it).
 */
export const describeClusterApi = defineApi({
  api: 'DescribeCluster',
  minVersion: 0,
  maxVersion: 2,
  serves: 'any-broker',
  authorization: { kind: 'per-resource', acl: 'DESCRIBE on the cluster only for the authorized operations it reports' },
  handle: (ctx, request, session) => {
    const asked = (request.body).includeClusterAuthorizedOperations;
    const operations = allowedOnCluster(ctx, session, Op.DESCRIBE) ? authorizedOperations(ctx, session, 'cluster') : 0;
    return {
      errorCode: 0,
      errorMessage: null,
      clusterId: ctx.clusterId,
      controllerId: ctx.cluster.controllerId(),
      brokers: ctx.cluster.brokers().map((b) => {
        const node = listenerFor(b.listeners, session.listener);
        // v2's isFenced (KIP-1073): a broker here is registered while its etcd lease lives and gone
        // after, so none is ever registered but fenced; includeFencedBrokers adds nobody.
        return { brokerId: b.nodeId, host: node.host, port: node.port, rack: b.rack, isFenced: false };
      }),
      ...(asked ? { clusterAuthorizedOperations: operations } : {}),
    };
  },
});
