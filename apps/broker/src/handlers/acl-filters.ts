import { PatternType, type AclFilter } from '../security/acl.ts';


export const DENIED = 'ALTER on the cluster is needed to change ACLs';

export const filterOf = (f: { resourceTypeFilter: number; resourceNameFilter: string | null; patternTypeFilter?: number; principalFilter: string | null; hostFilter: string | null; operation: number; permissionType: number }, v: number): AclFilter => ({
  resourceType: f.resourceTypeFilter,
  resourceName: f.resourceNameFilter,
  // v0 filters predate pattern types and meant literal names.
  patternType: v >= 1 ? f.patternTypeFilter! : PatternType.LITERAL,
  principal: f.principalFilter,
  host: f.hostFilter,
  operation: f.operation,
  permission: f.permissionType,
});
