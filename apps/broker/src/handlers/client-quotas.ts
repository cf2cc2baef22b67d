import { ErrorCode, type AlterClientQuotasRequest, type DescribeClientQuotasRequest } from '@tributary/protocol';
import { GROUP_QUOTA_KEYS, QUOTA_KEYS, type QuotaEntity, type QuotaKey } from '../quota/quota-store.ts';
import { AclOperation } from '../security/acl.ts';
import { allowedOnCluster } from '../security/request-guards.ts';
import type { Handler } from './context.ts';

const ENTITY_TYPES = { user: 'user', 'client-id': 'clientId', 'consumer-group': 'group' } as const;
// Kafka types the byte rates as LONG (a fractional value is refused) and the percentages/mutation rate as DOUBLE.
const WHOLE_NUMBER_KEYS: ReadonlySet<string> = new Set(['producer_byte_rate', 'consumer_byte_rate', 'group_max_members']);
const MATCH_EXACT = 0;
const MATCH_DEFAULT = 1;
const MATCH_ANY = 2; // only requires the entity type to be present

/** The wire form of an entity: [{entityType, entityName}] with null names for `<default>`. */
function toWire(e: QuotaEntity) {
  if (e.group !== undefined) return [{ entityType: 'consumer-group', entityName: e.group }];
  return [...(e.user !== undefined ? [{ entityType: 'user', entityName: e.user }] : []), ...(e.clientId !== undefined ? [{ entityType: 'client-id', entityName: e.clientId }] : [])];
}

/** AlterClientQuotas: sets/removes quota values per entity; ALTER_CONFIGS on the cluster (Kafka's rule). */
export const handleAlterClientQuotas: Handler = async (ctx, request, session) => {
  const req = request.body as AlterClientQuotasRequest;
  const mayAlter = allowedOnCluster(ctx, session, AclOperation.ALTER_CONFIGS);
  const entries = [];
  for (const entry of req.entries) entries.push(await (async () => {
      const fail = (errorCode: number, errorMessage: string) => ({ errorCode, errorMessage, entity: entry.entity });
      if (!mayAlter) return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'ALTER_CONFIGS on the cluster is needed to change quotas');
      const entity: QuotaEntity = {};
      for (const part of entry.entity) {
        const field = ENTITY_TYPES[part.entityType as keyof typeof ENTITY_TYPES];
        if (!field) return fail(ErrorCode.INVALID_REQUEST, `entity type ${part.entityType} is not supported (user, client-id, consumer-group)`);
        if (field === 'group' && (part.entityName === null || entry.entity.length > 1)) return fail(ErrorCode.INVALID_REQUEST, 'a consumer-group entity names one group and stands alone');
        if (entity[field] !== undefined) return fail(ErrorCode.INVALID_REQUEST, `entity type ${part.entityType} appears twice`);
        if (field === 'group') entity.group = part.entityName!;
        else entity[field] = part.entityName;
      }
      if (Object.keys(entity).length === 0) return fail(ErrorCode.INVALID_REQUEST, 'the entity is empty');
      const set: Partial<Record<QuotaKey, number>> = {};
      const remove: QuotaKey[] = [];
      const keys: readonly string[] = entity.group !== undefined ? GROUP_QUOTA_KEYS : QUOTA_KEYS;
      for (const op of entry.ops) {
        if (!keys.includes(op.key)) return fail(ErrorCode.INVALID_REQUEST, `unknown quota ${op.key} for this entity (${keys.join(', ')})`);
        if (op.remove) remove.push(op.key as QuotaKey);
        else if (!(op.value > 0) || !Number.isFinite(op.value)) return fail(ErrorCode.INVALID_REQUEST, `${op.key} must be a positive number, got ${op.value}`);
        else if (WHOLE_NUMBER_KEYS.has(op.key) && !Number.isInteger(op.value)) return fail(ErrorCode.INVALID_REQUEST, `${op.key} must be a whole number, got ${op.value}`);
        else set[op.key as QuotaKey] = op.value;
      }
      if (!req.validateOnly) {
        await ctx.clientQuotaStore.alter(entity, set, remove);
        ctx.logger.log('info', 'client quota changed', { by: session.principal, entity, set, remove });
      }
      return { errorCode: 0, errorMessage: null, entity: entry.entity };
  })());
  return { throttleTimeMs: 0, entries };
};

/** DescribeClientQuotas with Kafka's component filters (exact name, default, any) and strict matching. */
export const handleDescribeClientQuotas: Handler = (ctx, request, session) => {
  const req = request.body as DescribeClientQuotasRequest;
  if (!allowedOnCluster(ctx, session, AclOperation.DESCRIBE_CONFIGS)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'DESCRIBE_CONFIGS on the cluster is needed to list quotas', entries: null };
  const invalid = (errorMessage: string) => ({ throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, errorMessage, entries: null });
  const seen = new Set<string>();
  for (const c of req.components) {
    if (!(c.entityType in ENTITY_TYPES)) return invalid(`entity type ${c.entityType} is not supported`);
    if (seen.has(c.entityType)) return invalid(`entity type ${c.entityType} appears twice in the filter`);
    seen.add(c.entityType);
    if (c.matchType !== MATCH_EXACT && c.matchType !== MATCH_DEFAULT && c.matchType !== MATCH_ANY) return invalid(`unknown match type ${c.matchType}`);
    if (c.matchType === MATCH_EXACT && c.match === null) return invalid(`an exact match on ${c.entityType} needs a name`);
  }
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
};
