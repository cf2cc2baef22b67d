import { z } from 'zod';

/** BullMQ queue names shared by the API (producer) and the operator (workers). */
export const QUEUES = {
  reconcile: 'tributary-reconcile',
  metering: 'tributary-metering',
} as const;

/** Job names inside the reconcile queue. */
export const JOBS = {
  reconcileInstance: 'reconcile-instance',
  reconcileTopic: 'reconcile-topic',
  reconcileUser: 'reconcile-user',
  reconcileAcl: 'reconcile-acl',
  reconcileQuota: 'reconcile-quota',
} as const;

export const ReconcileReasonSchema = z.enum(['created', 'updated', 'deleted', 'partitions-increased', 'resync', 'billing', 'rebalance-cancel']);

/**
 * The payload names the object and the generation that triggered it; the worker always reads the
 * current spec from PostgreSQL (level-based), so a stale or duplicated job is harmless.
 */
export const ReconcileInstanceJobSchema = z.strictObject({
  instanceId: z.string(),
  generation: z.number().int().min(1),
  reason: ReconcileReasonSchema,
  operationId: z.string().optional(),
});
export type ReconcileInstanceJob = z.infer<typeof ReconcileInstanceJobSchema>;

export const ReconcileTopicJobSchema = z.strictObject({
  instanceId: z.string(),
  topicId: z.string(),
  topicName: z.string(),
  generation: z.number().int().min(1),
  reason: ReconcileReasonSchema,
  operationId: z.string().optional(),
});
export type ReconcileTopicJob = z.infer<typeof ReconcileTopicJobSchema>;

/** Users, ACLs and quotas are reconciled per instance as whole sets. */
export const ReconcileInstanceObjectsJobSchema = z.strictObject({
  instanceId: z.string(),
  kind: z.enum(['users', 'acls', 'client-quotas', 'consumer-group-quotas']),
  reason: ReconcileReasonSchema,
});
export type ReconcileInstanceObjectsJob = z.infer<typeof ReconcileInstanceObjectsJobSchema>;

/** Stable job ids let BullMQ drop duplicates of the same change. */
export function reconcileInstanceJobId(j: ReconcileInstanceJob): string {
  // A cancel comes at the generation already queued: its own id, so BullMQ does not drop it as a duplicate.
  return `instance-${j.instanceId}-${j.generation}${j.reason === 'rebalance-cancel' && j.operationId ? `-${j.operationId}` : ''}`;
}
export function reconcileTopicJobId(j: ReconcileTopicJob): string {
  return `topic-${j.topicId}-${j.generation}`;
}
