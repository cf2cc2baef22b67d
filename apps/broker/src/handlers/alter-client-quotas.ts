import { ErrorCode } from '@tributary/protocol';
import { GROUP_QUOTA_KEYS, IP_QUOTA_KEYS, QUOTA_KEYS, type QuotaEntity, type QuotaKey } from '../quota/quota-store.ts';
import { AclOperation } from '../security/acl.ts';
import { allowedOnCluster } from '../security/request-guards.ts';
import { ENTITY_TYPES, INT_KEYS, WHOLE_NUMBER_KEYS } from './quota-entities.ts';
import { defineApi } from './api-module.ts';

/** AlterClientQuotas: sets/removes quota values per entity; ALTER_CONFIGS on the cluster (Kafka's rule). */
export const alterClientQuotasApi = defineApi({
  api: 'AlterClientQuotas',
  minVersion: 0,
  maxVersion: 1,
  serves: 'any-broker',
  readsLatest: true,
  authorization: { kind: 'per-resource', acl: 'ALTER_CONFIGS on the cluster (each entry answers the error)' },
  handle: async (ctx, request, session) => {
    const req = request.body;
    const mayAlter = allowedOnCluster(ctx, session, AclOperation.ALTER_CONFIGS);
    const entries = [];
    for (const entry of req.entries) entries.push(await (async () => {
        const fail = (errorCode: number, errorMessage: string) => ({ errorCode, errorMessage, entity: entry.entity });
        if (!mayAlter) return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'ALTER_CONFIGS on the cluster is needed to change quotas');
        // Kafka's checks and wording (ClientQuotaControlManager.validateEntity, validateQuotaKeyValue).
        if (entry.entity.length === 0) return fail(ErrorCode.INVALID_REQUEST, 'Invalid empty client quota entity');
        const entity: QuotaEntity = {};
        for (const part of entry.entity) {
          const field = ENTITY_TYPES[part.entityType as keyof typeof ENTITY_TYPES];
          if (entity[field] !== undefined) return fail(ErrorCode.INVALID_REQUEST, `Invalid empty client quota entity, duplicate entity entry ${part.entityType}`);
          if (part.entityName === '') return fail(ErrorCode.INVALID_REQUEST, `Empty ${part.entityType} not supported`);
          if (!field) return fail(ErrorCode.INVALID_REQUEST, `Unhandled client quota entity type: ${part.entityType}`);
          if (field === 'group' && (part.entityName === null || entry.entity.length > 1)) return fail(ErrorCode.INVALID_REQUEST, 'a consumer-group entity names one group and stands alone');
          if (field === 'group') entity.group = part.entityName!;
          else entity[field] = part.entityName;
        }
        // Kafka's rules for the ip entity (KIP-612): alone, and a literal address or a name that
        // resolves (ClientQuotaControlManager.isValidIpEntity: InetAddress.getByName); the address
        // a name resolves to now is the one its quota applies to (ClientQuotas.resolveIp). The
        // missing space in "shouldnot" is Kafka's.
        if (entity.ip !== undefined && (entity.user !== undefined || entity.clientId !== undefined)) return fail(ErrorCode.INVALID_REQUEST, 'Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId');
        if (entity.ip !== undefined && entity.ip !== null && (await ctx.clientQuotas.resolveIp(entity.ip)) === null) return fail(ErrorCode.INVALID_REQUEST, `${entity.ip} is not a valid IP or resolvable host.`);
        const set: Partial<Record<QuotaKey, number>> = {};
        const remove: QuotaKey[] = [];
        const keys: readonly string[] = entity.group !== undefined ? GROUP_QUOTA_KEYS : entity.ip !== undefined ? IP_QUOTA_KEYS : QUOTA_KEYS;
        for (const op of entry.ops) {
          if (!keys.includes(op.key)) return fail(ErrorCode.INVALID_REQUEST, `Invalid configuration key ${op.key}`);
          if (op.remove) remove.push(op.key as QuotaKey);
          else if (!(op.value > 0) || !Number.isFinite(op.value)) return fail(ErrorCode.INVALID_REQUEST, `Quota ${op.key} must be greater than 0`);
          else if (INT_KEYS.has(op.key) && op.value > 2147483647) return fail(ErrorCode.INVALID_REQUEST, `Proposed value for ${op.key} is too large for an INT.`);
          else if (WHOLE_NUMBER_KEYS.has(op.key) && Math.abs(op.value % 1) > 1e-10) return fail(ErrorCode.INVALID_REQUEST, `${op.key} cannot be a fractional value.`);
          else set[op.key as QuotaKey] = op.value;
        }
        if (!req.validateOnly) {
          await ctx.clientQuotaStore.alter(entity, set, remove);
          ctx.logger.log('info', 'client quota changed', { by: session.principal, entity, set, remove });
        }
        return { errorCode: 0, errorMessage: null, entity: entry.entity };
    })());
    return { throttleTimeMs: 0, entries };
  },
});
