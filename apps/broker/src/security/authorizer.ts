import { AclOperation, PatternType, Permission, ResourceType, WILDCARD, type AclBinding, type OperationId, type ResourceTypeId } from './acl.ts';
import type { AclStore } from './acl-store.ts';

export interface Requester {
  principal: string;
  host: string;
  listener: string;
}

/**
 * Operations that grant others (Kafka's implication rules): DESCRIBE comes with READ, WRITE, DELETE
 * and ALTER; DESCRIBE_CONFIGS with ALTER_CONFIGS; ALL grants everything.
 */
const IMPLIED_BY: Partial<Record<number, number[]>> = {
  [AclOperation.DESCRIBE]: [AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER],
  [AclOperation.DESCRIBE_CONFIGS]: [AclOperation.ALTER_CONFIGS],
};

/**
 * Kafka's ACL authorizer (AclAuthorizer/StandardAuthorizer semantics): super users may do anything;
 * otherwise a matching DENY wins over any ALLOW; an ALLOW for the operation (or one implying it) is
 * needed; and a resource with no ACLs at all is open only when `allow.everyone.if.no.acl.found`.
 * Pure apart from reading the store, so every rule is unit tested.
 */
export class Authorizer {
  readonly #store: AclStore;
  readonly #superUsers: Set<string>;
  readonly #allowIfNoAcl: (listener: string) => boolean;
  readonly #trustedListeners: Set<string>;

  /**
   * `trustedListeners` (`tributary.trusted.listeners`): every connection on them is allowed
   * everything. Rights bound to a listener, not to a principal name, cannot be reached from another
   * listener: a client logging in on a SASL listener as, say, `ANONYMOUS` gets nothing from it.
   */
  constructor(store: AclStore, superUsers: string[], allowIfNoAcl: (listener: string) => boolean, trustedListeners: string[] = []) {
    this.#store = store;
    this.#superUsers = new Set(superUsers);
    this.#allowIfNoAcl = allowIfNoAcl;
    this.#trustedListeners = new Set(trustedListeners);
  }

  #isSuper(who: Requester): boolean {
    return this.#superUsers.has(who.principal) || this.#trustedListeners.has(who.listener);
  }

  authorize(who: Requester, operation: OperationId, resourceType: ResourceTypeId, name: string): boolean {
    if (this.#isSuper(who)) return true;
    const onResource = this.#store.all().filter((b) => b.resourceType === resourceType && resourceMatches(b, name));
    if (onResource.length === 0) return this.#allowIfNoAcl(who.listener);
    const applies = onResource.filter((b) => (b.principal === who.principal || b.principal === 'User:*') && (b.host === WILDCARD || b.host === who.host));
    if (applies.some((b) => b.permission === Permission.DENY && (b.operation === operation || b.operation === AclOperation.ALL))) return false;
    const granting = [operation, AclOperation.ALL, ...(IMPLIED_BY[operation] ?? [])];
    return applies.some((b) => b.permission === Permission.ALLOW && granting.includes(b.operation as OperationId));
  }

  /**
   * Whether the principal may write to at least one topic (KIP-679: an idempotent producer needs no
   * cluster ACL then): some ALLOW WRITE pattern that no DENY pattern wholly covers.
   */
  mayWriteSomeTopic(who: Requester): boolean {
    if (this.#isSuper(who)) return true;
    const topicAcls = this.#store.all().filter((b) => b.resourceType === ResourceType.TOPIC);
    if (topicAcls.length === 0) return this.#allowIfNoAcl(who.listener);
    const mine = topicAcls.filter((b) => (b.principal === who.principal || b.principal === 'User:*') && (b.host === WILDCARD || b.host === who.host) && (b.operation === AclOperation.WRITE || b.operation === AclOperation.ALL));
    const denies = mine.filter((b) => b.permission === Permission.DENY);
    return mine.some((allow) => allow.permission === Permission.ALLOW && !denies.some((deny) => covers(deny, allow)));
  }
}

function resourceMatches(b: AclBinding, name: string): boolean {
  if (b.patternType === PatternType.LITERAL) return b.resourceName === name || b.resourceName === WILDCARD;
  return b.patternType === PatternType.PREFIXED && name.startsWith(b.resourceName);
}

/** Whether every topic name `inner` matches is also matched by `outer`. */
function covers(outer: AclBinding, inner: AclBinding): boolean {
  if (outer.patternType === PatternType.LITERAL) return outer.resourceName === WILDCARD || (inner.patternType === PatternType.LITERAL && inner.resourceName === outer.resourceName);
  return inner.resourceName.startsWith(outer.resourceName) && inner.resourceName !== WILDCARD;
}
