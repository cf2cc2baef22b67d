import type { BrokerContext, RequestSession } from '../handlers/context.ts';
import { AclOperation, CLUSTER_NAME, ResourceType, type OperationId, type ResourceTypeId } from './acl.ts';

/** Whether the request's principal may do `op` on a resource (the handlers' one question). */
export function allowed(ctx: BrokerContext, session: RequestSession, op: OperationId, type: ResourceTypeId, name: string): boolean {
  return ctx.authorizer.authorize(session, op, type, name);
}

export function allowedOnCluster(ctx: BrokerContext, session: RequestSession, op: OperationId): boolean {
  return ctx.authorizer.authorize(session, op, ResourceType.CLUSTER, CLUSTER_NAME);
}

/** The operations Kafka reports per resource type in "authorized operations" bitfields (bit n = operation n). */
const REPORTED: Record<'topic' | 'group' | 'consumer-group' | 'cluster', OperationId[]> = {
  topic: [AclOperation.READ, AclOperation.WRITE, AclOperation.CREATE, AclOperation.DELETE, AclOperation.ALTER, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS],
  // Kafka 4.4's operations of a group (AclEntry.supportedOperations), KIP-848's group configs
  // included, in classic DescribeGroups as in ConsumerGroupDescribe.
  group: [AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS],
  'consumer-group': [AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS],
  cluster: [AclOperation.CREATE, AclOperation.ALTER, AclOperation.DESCRIBE, AclOperation.CLUSTER_ACTION, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS, AclOperation.IDEMPOTENT_WRITE],
};
const TYPE_OF = { topic: ResourceType.TOPIC, group: ResourceType.GROUP, 'consumer-group': ResourceType.GROUP, cluster: ResourceType.CLUSTER } as const;

/** KIP-430: the bitfield of operations the principal may perform on a resource, for clients that ask. */
export function authorizedOperations(ctx: BrokerContext, session: RequestSession, kind: 'topic' | 'group' | 'consumer-group' | 'cluster', name = CLUSTER_NAME): number {
  let bits = 0;
  for (const op of REPORTED[kind]) if (ctx.authorizer.authorize(session, op, TYPE_OF[kind], name)) bits |= 1 << op;
  return bits;
}
