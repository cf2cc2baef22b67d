import { ErrorCode, KafkaProtocolError } from '@tributary/protocol';
import { TopicError } from '../topics/topic-registry.ts';
import { AclOperation as Op } from '../security/acl.ts';
import { allowedOnCluster } from '../security/request-guards.ts';
import type { BrokerContext, RequestSession } from './context.ts';

/** Helpers of the cluster administration APIs (reassignments, elections). */

/** Kafka authorises these APIs on the cluster resource, failing the whole request. */
export function onCluster(operation: 'ALTER' | 'DESCRIBE') {
  return {
    kind: 'before' as const,
    acl: `${operation} on the cluster`,
    allowed: (ctx: BrokerContext, _request: unknown, session: RequestSession) => allowedOnCluster(ctx, session, Op[operation]),
    deniedCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  };
}

/**
 * Runs a controller-only cluster change; a TopicError for the whole request (NOT_CONTROLLER on
 * another broker, or the controller stepping down meanwhile) becomes the API's error response,
 * whose top-level code tells the admin client to find the controller again.
 */
export async function asController<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof TopicError) throw new KafkaProtocolError(err.errorCode, err.message);
    throw err;
  }
}

/** Results per partition grouped by topic, in the order topics first appear. */
export function byTopic<R extends { topic: string }>(results: readonly R[]): [string, R[]][] {
  const out = new Map<string, R[]>();
  for (const r of results) out.set(r.topic, [...(out.get(r.topic) ?? []), r]);
  return [...out];
}
