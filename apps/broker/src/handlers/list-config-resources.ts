import { ConfigResourceType, ErrorCode } from '@tributary/protocol';
import { AclOperation as Op } from '../security/acl.ts';
import { allowedOnCluster } from '../security/request-guards.ts';
import { defineApi } from './api-module.ts';
import type { BrokerContext } from './context.ts';

const { TOPIC, BROKER, CLIENT_METRICS, GROUP } = ConfigResourceType;

/** The resource types v1 lists (none asked: all of them), in Kafka's order. */
const LISTED = [TOPIC, BROKER, CLIENT_METRICS, GROUP] as const;

/** The names of one type's config resources on this broker. */
function namesOf(ctx: BrokerContext, type: number): string[] {
  if (type === CLIENT_METRICS) return ctx.clientMetricsConfigs.names();
  if (type === TOPIC) return ctx.topics.list().map((t) => t.name);
  if (type === BROKER) return ctx.cluster.brokers().map((b) => String(b.nodeId));
  // Groups with configs of their own only, as Kafka 4.4 lists them (its config image): a group
  // without any is not a config resource (kafka-configs --describe adds the groups ListGroups names).
  return ctx.groupConfigs.names();
}

/**
 * ListConfigResources (API 74): v0 is KIP-1000's ListClientMetricsResources (the client metrics
 * subscriptions); v1 (KIP-1142) lists the config resources of the asked types, every type when
 * none is asked, for kafka-configs --describe without a name and kafka-client-metrics --list.
 * DESCRIBE_CONFIGS on the cluster, as Kafka asks for every type.
 */
export const listConfigResourcesApi = defineApi({
  api: 'ListConfigResources',
  minVersion: 0,
  maxVersion: 1,
  serves: 'any-broker',
  readsLatest: true,
  authorization: { kind: 'per-resource', acl: 'DESCRIBE_CONFIGS on the cluster' },
  handle: (ctx, request, session) => {
    if (!allowedOnCluster(ctx, session, Op.DESCRIBE_CONFIGS)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, configResources: [] };
    const asked = request.apiVersion === 0 ? [CLIENT_METRICS] : request.body.resourceTypes.length === 0 ? [...LISTED] : request.body.resourceTypes;
    if (asked.some((t) => !(LISTED as readonly number[]).includes(t))) return { throttleTimeMs: 0, errorCode: ErrorCode.UNSUPPORTED_VERSION, configResources: [] };
    const configResources = asked.flatMap((resourceType) => namesOf(ctx, resourceType).map((resourceName) => ({ resourceName, resourceType })));
    return { throttleTimeMs: 0, errorCode: 0, configResources };
  },
});
