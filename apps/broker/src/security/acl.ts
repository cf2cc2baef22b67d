/**
 * Kafka's ACL model with its wire numbers (org.apache.kafka.common.acl / resource): what a binding is,
 * and how a filter (DescribeAcls, DeleteAcls) matches bindings.
 */
import { AclOperation, AclPermission as Permission, PatternType, ResourceType } from '@tributary/protocol';

// The wire numbers live once, in libs/protocol (the admin client sends the same ones).
export { AclOperation, Permission, PatternType, ResourceType };

export type ResourceTypeId = (typeof ResourceType)[keyof typeof ResourceType];
export type OperationId = (typeof AclOperation)[keyof typeof AclOperation];

export const CLUSTER_NAME = 'kafka-cluster';
export const WILDCARD = '*';

export interface AclBinding {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permission: number;
}

export interface AclFilter {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permission: number;
}

/** Why a binding cannot be created (Kafka answers INVALID_REQUEST with such a message), or null. */
export function bindingProblem(b: AclBinding): string | null {
  if (![ResourceType.TOPIC, ResourceType.GROUP, ResourceType.CLUSTER, ResourceType.TRANSACTIONAL_ID].includes(b.resourceType as 2)) return `resource type ${b.resourceType} cannot carry ACLs`;
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) return `pattern type ${b.patternType} must be LITERAL or PREFIXED`;
  if (b.operation < AclOperation.ALL || b.operation > AclOperation.IDEMPOTENT_WRITE) return `operation ${b.operation} is not a concrete operation`;
  if (b.permission !== Permission.ALLOW && b.permission !== Permission.DENY) return `permission ${b.permission} must be ALLOW or DENY`;
  if (!/^[A-Za-z]+:.+$/.test(b.principal)) return `principal "${b.principal}" is not Type:name`;
  if (b.resourceName === '') return 'resource name is empty';
  if (b.resourceType === ResourceType.CLUSTER && b.resourceName !== CLUSTER_NAME) return `the cluster resource is named ${CLUSTER_NAME}`;
  if (b.host === '') return 'host is empty (use * for any host)';
  return null;
}

/** Whether a filter matches a binding, with Kafka's ANY and MATCH semantics. */
export function filterMatches(f: AclFilter, b: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.operation !== AclOperation.ANY && f.operation !== b.operation) return false;
  if (f.permission !== Permission.ANY && f.permission !== b.permission) return false;
  if (f.patternType === PatternType.MATCH) {
    // MATCH: every binding that would apply to the named resource (literal equal, wildcard, or prefix of it).
    if (f.resourceName === null) return true;
    if (b.patternType === PatternType.LITERAL) return b.resourceName === f.resourceName || b.resourceName === WILDCARD;
    return f.resourceName.startsWith(b.resourceName);
  }
  if (f.patternType !== PatternType.ANY && f.patternType !== b.patternType) return false;
  return f.resourceName === null || f.resourceName === b.resourceName;
}

export const sameBinding = (a: AclBinding, b: AclBinding): boolean =>
  a.resourceType === b.resourceType && a.resourceName === b.resourceName && a.patternType === b.patternType && a.principal === b.principal && a.host === b.host && a.operation === b.operation && a.permission === b.permission;
