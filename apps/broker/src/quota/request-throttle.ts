import { ApiKey } from '@tributary/protocol';
import type { BrokerContext, RequestSession } from '../handlers/context.ts';

/**
 * How long to hold a client after one request (KIP-219: the connection then reads nothing for that
 * long). Produce bytes (the request), fetch bytes (the records answered) and handler time are
 * recorded against the client's quota entity, the instance's bandwidth and the consumer groups the
 * client belongs to; the longest throttle any of them asks for applies. A follower's fetch
 * (`followerFetch`) is replication, not a client's use: as in Kafka, client quotas and the instance's
 * fetch bandwidth neither count nor throttle it (metrics count it apart, handlers/fetch.ts).
 */
export function throttleFor(ctx: BrokerContext, apiKey: number, requestBytes: number, body: unknown, handlerMs: number, session: RequestSession, followerFetch = false): number {
  const user = session.principal.startsWith('User:') ? session.principal.slice(5) : session.principal;
  const clientId = session.clientId ?? '';
  const labels = { user, client_id: clientId };
  const quotas = ctx.clientQuotas;
  let throttle = 0;
  const apply = (quota: 'producer_byte_rate' | 'consumer_byte_rate' | 'request_percentage', amount: number) => {
    const t = quotas.record(user, clientId, quota, amount).throttleMs;
    if (t > 0) {
      ctx.metrics.throttleMs.inc({ quota, ...labels }, t);
      ctx.metrics.throttleEvents.inc({ quota, ...labels });
    }
    throttle = Math.max(throttle, t);
  };
  if (apiKey === ApiKey.Produce) {
    ctx.metrics.clientBytes.inc({ direction: 'in', ...labels }, requestBytes);
    apply('producer_byte_rate', requestBytes);
    throttle = Math.max(throttle, ctx.bandwidth.record('produce', requestBytes));
  } else if (apiKey === ApiKey.Fetch && body && !followerFetch) {
    let bytes = 0;
    for (const t of (body as { responses: { partitions: { records: Buffer | null }[] }[] }).responses) for (const p of t.partitions) bytes += p.records?.length ?? 0;
    ctx.metrics.clientBytes.inc({ direction: 'out', ...labels }, bytes);
    apply('consumer_byte_rate', bytes);
    throttle = Math.max(throttle, ctx.bandwidth.record('fetch', bytes));
    // Fetch names no group: the groups this connection's client (id and host) is a member of share
    // its bytes, and the most throttled of them holds it.
    for (const groupId of ctx.groups.groupsOfClient(clientId, `/${session.host}`)) {
      const t = quotas.recordGroup(groupId, bytes);
      ctx.metrics.groupBytes.inc({ group: groupId }, bytes);
      if (t > 0) {
        ctx.metrics.groupThrottleMs.inc({ group: groupId }, t);
        ctx.metrics.throttleMs.inc({ quota: 'group_consumer_byte_rate', user, client_id: clientId }, t);
        ctx.metrics.throttleEvents.inc({ quota: 'group_consumer_byte_rate', user, client_id: clientId });
      }
      throttle = Math.max(throttle, t);
    }
  }
  // request_percentage: 100 means one request-handler thread's whole time (1000 ms per second), so
  // recording handler ms / 10 makes the measured rate a percentage, comparable with the bound.
  if (quotas.resolve(user, clientId, 'request_percentage')) apply('request_percentage', handlerMs / 10);
  // Handlers that meter their own quota (topic mutations) put it in throttle_time_ms.
  const own = (body as { throttleTimeMs?: unknown } | undefined)?.throttleTimeMs;
  if (typeof own === 'number' && own > 0) throttle = Math.max(throttle, own);
  return throttle;
}
