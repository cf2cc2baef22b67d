import { ErrorCode } from '@tributary/protocol';
import { AclOperation } from '../security/acl.ts';
import { allowedOnCluster } from '../security/request-guards.ts';
import { ENTITY_TYPES, MATCH_ANY, MATCH_DEFAULT, MATCH_EXACT, toWire } from './quota-entities.ts';
import { defineApi } from './api-module.ts';

/** DescribeClientQuotas with Kafka's component filters (exact name, default, any) and strict matching. */
export const describeClientQuotasApi = defineApi({
  api: 'DescribeClientQuotas',
  minVersion: 0,
  maxVersion: 1,
  serves: 'any-broker',
  readsLatest: true,
  authorization: { kind: 'per-resource', acl: 'DESCRIBE_CONFIGS on the cluster' },
  handle: (ctx, request, session) => {
    const req = request.body;
    if (!allowedOnCluster(ctx, session, AclOperation.DESCRIBE_CONFIGS)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'DESCRIBE_CONFIGS on the cluster is needed to list quotas', entries: null };
    const invalid = (errorMessage: string) => ({ throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, errorMessage, entries: null });
    // Kafka's checks, in its order and wording (ClientQuotasImage.describe).
    const seen = new Set<string>();
    for (const c of req.components) {
      if (c.entityType === '') return invalid('Invalid empty entity type.');
      if (seen.has(c.entityType)) return invalid(`Entity type ${c.entityType} cannot appear more than once in the filter.`);
      seen.add(c.entityType);
      if (!(c.entityType in ENTITY_TYPES)) return { ...invalid(`Unsupported entity type ${c.entityType}`), errorCode: ErrorCode.UNSUPPORTED_VERSION };
      if (c.matchType === MATCH_EXACT && c.match === null) return invalid('Request specified MATCH_TYPE_EXACT, but set match string to null.');
      if (c.matchType === MATCH_DEFAULT && c.match !== null) return invalid('Request specified MATCH_TYPE_DEFAULT, but also specified a match string.');
      if (c.matchType === MATCH_ANY && c.match !== null) return invalid('Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.');
      if (c.matchType !== MATCH_EXACT && c.matchType !== MATCH_DEFAULT && c.matchType !== MATCH_ANY) return invalid(`Unknown match type ${c.matchType}`);
    }
    // Kafka's ClientQuotasImage: an ip entity stands alone, so a filter may not ask for it with the others.
    if (seen.has('ip') && (seen.has('user') || seen.has('client-id'))) return invalid('Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.');
    const entries = ctx.clientQuotaStore.all().filter(({ entity }) => {
      for (const c of req.components) {
        const value = entity[ENTITY_TYPES[c.entityType as keyof typeof ENTITY_TYPES]];
        if (value === undefined) return false;
        if (c.matchType === MATCH_EXACT && value !== c.match) return false;
        if (c.matchType === MATCH_DEFAULT && value !== null) return false;
      }
      // strict: the entity has no types beyond those the filter names (a consumer-group entity counts too).
      return !req.strict || toWire(entity).length === req.components.length;
    });
    // Kafka's success carries the message "" (not null).
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: '', entries: entries.map((e) => ({ entity: toWire(e.entity), values: Object.entries(e.values).map(([key, value]) => ({ key, value })) })) };
  },
});
