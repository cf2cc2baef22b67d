import type { InstanceSpec } from '@tributary/contracts';

/** Ownership: every instance, topic, user, ACL and quota a stack applies carries this label with the stack's name. */
export const STACK_LABEL = 'tributary.dev/stack';
/** Set on a stack's instances while an apply runs (written with If-Match: concurrent applies conflict before either changes anything). */
export const LOCK_LABEL = 'tributary.dev/apply-lock';
/**
 * One label per config key the spec file sets (`config.tributary.dev/retention.ms: managed`). This is
 * the memory that tells "the file stopped setting this key" (reset it to its default) from "the
 * file never set it" (someone else's business, not drift) — without a state file.
 */
export const MANAGED_CONFIG_PREFIX = 'config.tributary.dev/';
export const isSystemLabel = (key: string) => key.startsWith('tributary.dev/') || key.startsWith(MANAGED_CONFIG_PREFIX);

/** What exists, as the API reports it (the CLI reads it; the console can build it from its own reads). */
export interface ActualTopic { name: string; etag: string; partitions: number; replicationFactor: number; configs: Record<string, string>; labels: Record<string, string> }
/** Users, ACLs and quotas carry labels too: the stack's label says which of them the stack owns. */
export interface ActualUser { id: string; etag: string; name: string; mechanism: string; iterations: number; labels: Record<string, string> }
export interface ActualAcl { id: string; etag: string; resourceType: string; resourceName: string; patternType: string; principal: string; host: string; operation: string; permissionType: string; labels: Record<string, string> }
export interface ActualClientQuota { id: string; etag: string; user: string | null; clientId: string | null; producerByteRate: number | null; consumerByteRate: number | null; requestPercentage: number | null; labels: Record<string, string> }
export interface ActualGroupQuota { id: string; etag: string; group: string; maxMembers: number | null; consumerByteRate: number | null; labels: Record<string, string> }
export interface ActualInstance {
  id: string; name: string; etag: string; labels: Record<string, string>; spec: InstanceSpec; phase: string;
  /** Read only for the instances the stack owns. */
  topics: ActualTopic[]; users: ActualUser[]; acls: ActualAcl[]; clientQuotas: ActualClientQuota[]; groupQuotas: ActualGroupQuota[];
}
export interface ActualState { instances: ActualInstance[] }

export const aclKey = (a: { resourceType: string; patternType: string; resourceName: string; principal: string; host: string; operation: string; permissionType: string }) =>
  [a.resourceType, a.patternType, a.resourceName, a.principal, a.host, a.operation, a.permissionType].join('|');
export const clientQuotaKey = (q: { user?: string | null | undefined; clientId?: string | null | undefined }) => `user=${q.user ?? '<default>'};client-id=${q.clientId ?? '<default>'}`;
