import { MESSAGE_PRINCIPAL_PREFIX } from '@tributary/contracts';
import type { DesiredAccess, DesiredAcl, DesiredQuota, DesiredUser } from './desired-instance.ts';

/** What the brokers hold now, as the admin APIs describe it. */
export interface LiveAccess {
  /** user → mechanisms present */
  users: Map<string, string[]>;
  acls: DesiredAcl[];
  quotas: DesiredQuota[];
}

export interface AccessPlan {
  /** Every desired user is (re)applied: same salt and salted password give the same keys, so this is idempotent and also carries password rotations. */
  upsertUsers: DesiredUser[];
  deleteUsers: { user: string; mechanism: string }[];
  createAcls: DesiredAcl[];
  deleteAcls: DesiredAcl[];
  /** Per entity: values to set (number) or remove (null). */
  quotaChanges: { entity: DesiredQuota['entity']; values: Record<string, number | null> }[];
  /** Users that cannot be applied (no salted password recorded), for the event log. */
  skippedUsers: string[];
}

const aclKey = (a: DesiredAcl) => [a.resourceType, a.patternType, a.resourceName, a.principal, a.host, a.operation, a.permission].join('|');
const entityKey = (e: DesiredQuota['entity']) => JSON.stringify('group' in e ? ['group', e.group] : [e.user === undefined ? 'absent' : e.user, e.clientId === undefined ? 'absent' : e.clientId]);

/**
 * Pure: the changes that make the brokers' users, ACLs and quotas equal the control plane's. The
 * control plane owns them all, so anything on the brokers it does not hold is removed (drift).
 */
export function planAccess(desired: DesiredAccess, live: LiveAccess): AccessPlan {
  const applicable = desired.users.filter((u) => u.salt !== null && u.saltedPassword !== null);
  const wanted = new Set(desired.users.map((u) => `${u.name}|${u.mechanism}`));
  // API keys' principals (`tributary-api.<key id>`) are provisioned by the API itself, with a
  // password derived from the deployment's key (apps/api messages/principal.ts): not drift while
  // their key is live; a revoked key's principal goes (every mechanism it has).
  const liveKeys = desired.apiPrincipals ? new Set(desired.apiPrincipals) : null;
  const keep = (user: string) => user.startsWith(MESSAGE_PRINCIPAL_PREFIX) && (liveKeys === null || liveKeys.has(user));
  const deleteUsers = [...live.users].filter(([user]) => !keep(user)).flatMap(([user, mechanisms]) => mechanisms.filter((m) => !wanted.has(`${user}|${m}`)).map((mechanism) => ({ user, mechanism })));

  const desiredAcls = new Map(desired.acls.map((a) => [aclKey(a), a]));
  const liveAcls = new Map(live.acls.map((a) => [aclKey(a), a]));
  const createAcls = [...desiredAcls].filter(([k]) => !liveAcls.has(k)).map(([, a]) => a);
  const deleteAcls = [...liveAcls].filter(([k]) => !desiredAcls.has(k)).map(([, a]) => a);

  const desiredQuotas = new Map(desired.quotas.map((q) => [entityKey(q.entity), q]));
  const liveQuotas = new Map(live.quotas.map((q) => [entityKey(q.entity), q]));
  const quotaChanges: AccessPlan['quotaChanges'] = [];
  for (const [key, want] of desiredQuotas) {
    const have = liveQuotas.get(key)?.values ?? {};
    const values: Record<string, number | null> = {};
    for (const [k, v] of Object.entries(want.values)) if (have[k] !== v) values[k] = v;
    for (const k of Object.keys(have)) if (!(k in want.values)) values[k] = null;
    if (Object.keys(values).length > 0) quotaChanges.push({ entity: want.entity, values });
  }
  for (const [key, have] of liveQuotas) {
    if (!desiredQuotas.has(key)) quotaChanges.push({ entity: have.entity, values: Object.fromEntries(Object.keys(have.values).map((k) => [k, null])) });
  }
  return { upsertUsers: applicable, deleteUsers, createAcls, deleteAcls, quotaChanges, skippedUsers: desired.users.filter((u) => !applicable.includes(u)).map((u) => u.name) };
}

/**
 * Pure: what one broker's own view still lacks of the control plane's access, in words, or null
 * when it holds all of it. Brokers of a cluster learn access changes through etcd's watch, so a
 * change accepted by one broker reaches the others a moment later; passwords cannot be compared
 * (brokers describe mechanisms, never keys), so users count by name and mechanism.
 */
export function accessBehind(desired: DesiredAccess, live: LiveAccess): string | null {
  const plan = planAccess(desired, live);
  const missingUsers = plan.upsertUsers.filter((u) => !(live.users.get(u.name) ?? []).includes(u.mechanism)).map((u) => u.name);
  const gaps = [
    missingUsers.length > 0 ? `users ${missingUsers.join(', ')} missing` : '',
    plan.deleteUsers.length > 0 ? `${plan.deleteUsers.length} removed credential(s) still present` : '',
    plan.createAcls.length > 0 ? `${plan.createAcls.length} ACL(s) missing` : '',
    plan.deleteAcls.length > 0 ? `${plan.deleteAcls.length} removed ACL(s) still present` : '',
    plan.quotaChanges.length > 0 ? `${plan.quotaChanges.length} quota(s) differ` : '',
  ].filter(Boolean);
  return gaps.length > 0 ? gaps.join(', ') : null;
}
