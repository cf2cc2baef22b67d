import type { InstanceSpec } from '@tributary/contracts';
import type { AclDecl, ClientQuotaDecl, GroupQuotaDecl, InstanceDecl, TopicDecl, UserDecl } from './format.ts';
import {
  aclKey, clientQuotaKey, isSystemLabel, MANAGED_CONFIG_PREFIX, STACK_LABEL,
  type ActualAcl, type ActualClientQuota, type ActualGroupQuota, type ActualInstance, type ActualState, type ActualTopic, type ActualUser,
} from './model.ts';

export type Action = 'create' | 'update' | 'replace' | 'delete' | 'no-op';
export type ResourceKind = 'instance' | 'topic' | 'user' | 'acl' | 'client-quota' | 'consumer-group-quota';

/** One attribute's change: `after` undefined with note "reset to default" is an unset key. */
export interface AttributeChange { path: string; before?: unknown; after?: unknown; note?: string }

interface ChangeBase {
  address: string;
  instance: string;
  name: string;
  action: Action;
  attributes: AttributeChange[];
  /** Deletes messages or a whole instance: applied only with --allow-data-loss. */
  dataLoss: boolean;
  /** Cannot be applied at all (e.g. fewer partitions); the message says why and what to do instead. */
  refused?: string;
  /** A resource the stack owns that the files no longer declare: deleted only with --prune. */
  orphan?: boolean;
  /** An instance replaced whole (deleted, then created): what the files declare in it is created after it. */
  replaced?: boolean;
}
/** The typed payloads an executor needs, per kind (the API bodies, never a secret's value). */
export type Change =
  | (ChangeBase & { kind: 'instance'; desired?: { name: string; labels: Record<string, string>; spec: InstanceSpec }; actual?: ActualInstance })
  | (ChangeBase & { kind: 'topic'; desired?: { name: string; partitions: number; replicationFactor: number; configs: Record<string, string>; labels: Record<string, string> }; actual?: ActualTopic })
  | (ChangeBase & { kind: 'user'; desired?: UserDecl; actual?: ActualUser })
  | (ChangeBase & { kind: 'acl'; desired?: AclDecl; actual?: ActualAcl })
  | (ChangeBase & { kind: 'client-quota'; desired?: ClientQuotaDecl; actual?: ActualClientQuota })
  | (ChangeBase & { kind: 'consumer-group-quota'; desired?: GroupQuotaDecl; actual?: ActualGroupQuota });

export interface Plan {
  stack: string;
  /** Every declared or owned resource, in apply order (no-ops included, so a plan shows the whole stack). */
  changes: Change[];
  /** Declared instances that exist but belong to no stack or another one: never touched. */
  conflicts: { instance: string; message: string }[];
}

export interface DiffOptions { prune: boolean }

const userLabels = (labels: Record<string, string>) => Object.fromEntries(Object.entries(labels).filter(([k]) => !isSystemLabel(k)));
const sorted = <T>(xs: T[], key: (x: T) => string) => [...xs].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

/**
 * Configs with "managed keys": a key the file sets is compared and written; a key the file does not
 * set is left alone (broker defaults and other tools' settings are never drift) unless its marker
 * label says a previous apply set it — then the file dropped it, and it is reset to its default.
 */
export function diffConfigs(prefix: string, declared: Record<string, string> | undefined, actual: Record<string, string>, actualLabels: Record<string, string>) {
  const want = declared ?? {};
  const next: Record<string, string> = { ...actual };
  const changes: AttributeChange[] = [];
  for (const [k, v] of Object.entries(want).sort()) {
    if (actual[k] !== v) changes.push({ path: `${prefix}/${k}`, ...(k in actual ? { before: actual[k] } : {}), after: v });
    next[k] = v;
  }
  for (const k of Object.keys(actual).sort()) {
    if (!(k in want) && actualLabels[MANAGED_CONFIG_PREFIX + k] !== undefined) {
      changes.push({ path: `${prefix}/${k}`, before: actual[k], note: 'reset to default (removed from the file)' });
      delete next[k];
    }
  }
  const markers = Object.fromEntries(Object.keys(want).sort().map((k) => [MANAGED_CONFIG_PREFIX + k, 'managed']));
  return { next, changes, markers };
}

/** Labels: when the file sets `labels`, it owns the user labels; when it does not, they are left as they are. */
function diffLabels(declared: Record<string, string> | undefined, actual: Record<string, string>) {
  const current = userLabels(actual);
  if (declared === undefined) return { next: current, changes: [] as AttributeChange[] };
  const changes: AttributeChange[] = [];
  for (const k of [...new Set([...Object.keys(current), ...Object.keys(declared)])].sort()) {
    if (current[k] !== declared[k]) changes.push({ path: `labels/${k}`, ...(k in current ? { before: current[k] } : {}), ...(k in declared ? { after: declared[k] } : {}) });
  }
  return { next: { ...declared }, changes };
}

/** A resource that exists without the stack's label and is declared: the stack takes it over. */
function adoption(stack: string, actual: Record<string, string>): AttributeChange[] {
  if (actual[STACK_LABEL] === stack) return [];
  return [{ path: `labels/${STACK_LABEL}`, ...(actual[STACK_LABEL] ? { before: actual[STACK_LABEL] } : {}), after: stack, note: 'adopted by the stack' }];
}

/**
 * The labels a user, ACL or quota gets: the file's (or, when it sets none, those it has) plus the
 * stack's, which is what makes it the stack's to update and prune; an existing one is adopted.
 */
function objectLabels(stack: string, declared: Record<string, string> | undefined, actual: Record<string, string> | undefined) {
  if (!actual) return { labels: { ...(declared ?? {}), [STACK_LABEL]: stack }, changes: Object.entries(declared ?? {}).sort().map(([k, v]): AttributeChange => ({ path: `labels/${k}`, after: v })) };
  const l = diffLabels(declared, actual);
  return { labels: { ...l.next, [STACK_LABEL]: stack }, changes: [...adoption(stack, actual), ...l.changes] };
}
const ownedBy = (stack: string) => (x: { labels: Record<string, string> }) => x.labels[STACK_LABEL] === stack;

const SCALARS = ['brokers', 'bandwidthMBps', 'diskGiB', 'partitionLimit', 'topicLimit', 'consumerGroupLimit'] as const;

function diffInstance(stack: string, decl: InstanceDecl, actual: ActualInstance | undefined): Change {
  const address = `instance.${decl.name}`;
  const base = { address, instance: decl.name, name: decl.name, kind: 'instance' as const, dataLoss: false };
  const declaredConfig = Object.keys(decl.spec.brokerConfig ?? {}).length > 0 ? decl.spec.brokerConfig : undefined;
  if (!actual) {
    const markers = diffConfigs('spec/brokerConfig', declaredConfig, {}, {}).markers;
    return {
      ...base, action: 'create', attributes: flatten('spec', decl.spec).concat(Object.entries(decl.labels ?? {}).map(([k, v]) => ({ path: `labels/${k}`, after: v }))),
      desired: { name: decl.name, labels: { ...(decl.labels ?? {}), [STACK_LABEL]: stack, ...markers }, spec: decl.spec },
    };
  }
  const attributes: AttributeChange[] = [];
  const refusals: string[] = [];
  const a = actual.spec;
  const d = decl.spec;
  // Zone and billing mode are fixed at creation: the instance is replaced (deleted with its topics
  // and messages, then created again with everything the files declare in it), which needs
  // --allow-data-loss. A new instance starts from the files, so nothing else is refused then.
  const forces: string[] = [];
  if (a.zone !== d.zone) { attributes.push({ path: 'spec/zone', before: a.zone, after: d.zone, note: 'forces replacement' }); forces.push('zone'); }
  if (a.billing.mode !== d.billing.mode) { attributes.push({ path: 'spec/billing/mode', before: a.billing.mode, after: d.billing.mode, note: 'forces replacement' }); forces.push('billing mode'); }
  for (const f of ['periodMonths', 'autoRenew'] as const) if (a.billing[f] !== d.billing[f]) attributes.push({ path: `spec/billing/${f}`, before: a.billing[f], after: d.billing[f] });
  // messageBrowsing (absent = enabled): compared only when the file sets it; otherwise kept as it is.
  const browsing = d.messageBrowsing ?? a.messageBrowsing;
  if (d.messageBrowsing !== undefined && d.messageBrowsing !== (a.messageBrowsing ?? 'enabled')) attributes.push({ path: 'spec/messageBrowsing', before: a.messageBrowsing ?? 'enabled', after: d.messageBrowsing });
  for (const f of SCALARS) {
    if (a[f] === d[f]) continue;
    const inPlace = forces.length === 0 && (f === 'brokers' || f === 'diskGiB');
    const shrinkNote = f === 'brokers' ? 'scale down in place: the leaving brokers are drained first' : 'shrink';
    attributes.push({ path: `spec/${f}`, before: a[f], after: d[f], ...(inPlace ? { note: d[f] > a[f] ? 'grow in place' : shrinkNote } : {}) });
    if (f === 'brokers' && d[f] < a[f]) {
      // The operator drains the leaving brokers (partition reassignment) and then removes them; the
      // remaining brokers must be able to hold every topic's replicas, as the API also checks.
      const widest = [...actual.topics.map((t) => ({ name: t.name, rf: t.replicationFactor })), ...(decl.topics ?? []).map((t) => ({ name: t.name, rf: t.replicationFactor }))]
        .sort((x, y) => y.rf - x.rf)[0];
      if (widest && widest.rf > d[f]) refusals.push(`brokers ${a[f]} → ${d[f]}: topic ${widest.name} has replication factor ${widest.rf}, more than ${d[f]} brokers can hold; lower it first`);
    }
    if (f === 'diskGiB' && d[f] < a[f]) refusals.push(`diskGiB ${a[f]} → ${d[f]}: disks only grow`);
  }
  const notOwned = (x: { labels: Record<string, string> }) => !ownedBy(stack)(x);
  const foreign = [
    ...actual.topics.filter(notOwned).map((t) => `topic ${t.name}`), ...actual.users.filter(notOwned).map((u) => `user ${u.name}`),
    ...actual.acls.filter(notOwned).map((a) => `ACL ${aclKey(a)}`), ...actual.clientQuotas.filter(notOwned).map((q) => `client quota ${clientQuotaKey(q)}`),
    ...actual.groupQuotas.filter(notOwned).map((q) => `consumer-group quota ${q.group}`),
  ];
  if (forces.length > 0 && foreign.length > 0) {
    // Ownership: replacing would delete what the stack does not own, which apply never touches.
    return {
      ...base, action: 'replace', dataLoss: true, attributes, actual,
      refused: `${forces.join(' and ')} fixed at creation, and replacing the instance would delete what the stack does not own (${foreign.sort().join(', ')}); import them into the stack or move them first`,
    };
  }
  if (forces.length > 0) {
    const config = Object.entries(declaredConfig ?? {}).sort().map(([k, v]) => ({ path: `spec/brokerConfig/${k}`, ...(a.brokerConfig?.[k] !== undefined ? { before: a.brokerConfig[k] } : {}), after: v }))
      .filter((x) => x.before !== x.after);
    const labels = diffLabels(decl.labels, actual.labels);
    const markers = diffConfigs('spec/brokerConfig', declaredConfig, {}, {}).markers;
    return {
      ...base, action: 'replace', dataLoss: true, replaced: true, actual,
      attributes: [...attributes, ...config, ...labels.changes],
      desired: { name: decl.name, labels: { ...labels.next, [STACK_LABEL]: stack, ...markers }, spec: { ...d, brokerConfig: declaredConfig ?? {} } },
    };
  }
  const cfg = diffConfigs('spec/brokerConfig', declaredConfig, a.brokerConfig ?? {}, actual.labels);
  attributes.push(...cfg.changes);
  const labels = diffLabels(decl.labels, actual.labels);
  attributes.push(...labels.changes);
  const desired = { name: decl.name, labels: { ...labels.next, [STACK_LABEL]: stack, ...cfg.markers }, spec: { ...d, brokerConfig: cfg.next, ...(browsing !== undefined ? { messageBrowsing: browsing } : {}) } };
  if (refusals.length > 0) return { ...base, action: 'update', attributes, actual, desired, refused: refusals.join('; ') };
  return { ...base, action: attributes.length > 0 ? 'update' : 'no-op', attributes, actual, desired };
}

function diffTopic(stack: string, inst: string, decl: TopicDecl, actual: ActualTopic | undefined): Change {
  const base = { address: `instance.${inst}.topic.${decl.name}`, instance: inst, name: decl.name, kind: 'topic' as const, dataLoss: false };
  if (!actual) {
    const markers = diffConfigs('configs', decl.configs, {}, {}).markers;
    return {
      ...base, action: 'create',
      attributes: [{ path: 'partitions', after: decl.partitions }, { path: 'replicationFactor', after: decl.replicationFactor }, ...Object.entries(decl.configs ?? {}).map(([k, v]) => ({ path: `configs/${k}`, after: v }))],
      desired: { name: decl.name, partitions: decl.partitions, replicationFactor: decl.replicationFactor, configs: decl.configs ?? {}, labels: { ...(decl.labels ?? {}), [STACK_LABEL]: stack, ...markers } },
    };
  }
  const cfg = diffConfigs('configs', decl.configs, actual.configs, actual.labels);
  const labels = diffLabels(decl.labels, actual.labels);
  const attributes: AttributeChange[] = [];
  let refused: string | undefined;
  if (decl.partitions !== actual.partitions) {
    attributes.push({ path: 'partitions', before: actual.partitions, after: decl.partitions, note: decl.partitions > actual.partitions ? 'grow in place' : 'shrink' });
    if (decl.partitions < actual.partitions) refused = `partitions ${actual.partitions} → ${decl.partitions}: Kafka cannot remove partitions (their messages would be lost); keep ${actual.partitions}, or create a new topic and move consumers`;
  }
  attributes.push(...adoption(stack, actual.labels), ...cfg.changes, ...labels.changes);
  const desired = { name: decl.name, partitions: decl.partitions, replicationFactor: decl.replicationFactor, configs: cfg.next, labels: { ...labels.next, [STACK_LABEL]: stack, ...cfg.markers } };
  if (decl.replicationFactor !== actual.replicationFactor) {
    // In place: the operator adds or removes replicas by partition reassignment, messages kept.
    attributes.unshift({ path: 'replicationFactor', before: actual.replicationFactor, after: decl.replicationFactor, note: 'in place: replicas added or removed by reassignment' });
  }
  return { ...base, action: attributes.length > 0 ? 'update' : 'no-op', attributes, actual, desired, ...(refused ? { refused } : {}) };
}

function diffUser(stack: string, inst: string, decl: UserDecl, actual: ActualUser | undefined): Change {
  const own = objectLabels(stack, decl.labels, actual?.labels);
  const base = { address: `instance.${inst}.user.${decl.name}`, instance: inst, name: decl.name, kind: 'user' as const, dataLoss: false, desired: { ...decl, labels: own.labels } };
  const pw = { path: 'password', after: 'env' in decl.password ? `(from environment variable ${decl.password.env})` : `(from file ${decl.password.file})` };
  if (!actual) return { ...base, action: 'create', attributes: [{ path: 'mechanism', after: decl.mechanism }, { path: 'iterations', after: decl.iterations }, pw, ...own.changes] };
  const forces: AttributeChange[] = [];
  if (actual.mechanism !== decl.mechanism) forces.push({ path: 'mechanism', before: actual.mechanism, after: decl.mechanism, note: 'forces replacement' });
  if (actual.iterations !== decl.iterations) forces.push({ path: 'iterations', before: actual.iterations, after: decl.iterations, note: 'forces replacement' });
  if (forces.length > 0) return { ...base, action: 'replace', attributes: [...forces, pw, ...own.changes], actual };
  // Labels alone change in place (the password stays).
  return { ...base, action: own.changes.length > 0 ? 'update' : 'no-op', attributes: own.changes, actual };
}

const rates = (q: { producerByteRate?: number | null; consumerByteRate?: number | null; requestPercentage?: number | null }) =>
  ({ producerByteRate: q.producerByteRate ?? undefined, consumerByteRate: q.consumerByteRate ?? undefined, requestPercentage: q.requestPercentage ?? undefined });

function diffFields(before: Record<string, unknown>, after: Record<string, unknown>): AttributeChange[] {
  const out: AttributeChange[] = [];
  for (const k of Object.keys({ ...before, ...after }).sort()) {
    if (before[k] !== after[k]) out.push({ path: k, ...(before[k] !== undefined ? { before: before[k] } : {}), ...(after[k] !== undefined ? { after: after[k] } : {}) });
  }
  return out;
}

function flatten(prefix: string, v: unknown): AttributeChange[] {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return Object.entries(v).flatMap(([k, x]) => flatten(`${prefix}/${k}`, x));
  return [{ path: prefix, after: v }];
}

function deletion(kind: ResourceKind, inst: string, name: string, address: string, dataLoss: boolean, orphan: boolean, actual: unknown): Change {
  return { address, instance: inst, name, kind, action: 'delete', attributes: [], dataLoss, orphan, actual } as Change;
}

/**
 * The plan: what to change so the API matches the declared stack. Pure: no I/O, no clock, no
 * secrets (user passwords stay references). Instances, topics, users, ACLs and quotas the stack
 * owns carry its label: only those are updated or pruned; a declared one without it is adopted,
 * an undeclared one without it is someone else's and never touched (nor reported as drift); in an
 * instance the stack does not own nothing is touched.
 */
export function diff(declared: { stack: string; instances: InstanceDecl[] }, actual: ActualState, options: DiffOptions = { prune: false }): Plan {
  const { stack } = declared;
  const changes: Change[] = [];
  const conflicts: Plan['conflicts'] = [];
  const byName = new Map(actual.instances.map((i) => [i.name, i]));
  const declaredNames = new Set(declared.instances.map((i) => i.name));

  for (const decl of sorted(declared.instances, (i) => i.name)) {
    const found = byName.get(decl.name);
    if (found && found.labels[STACK_LABEL] !== stack) {
      const owner = found.labels[STACK_LABEL];
      conflicts.push({ instance: decl.name, message: `instance "${decl.name}" (${found.id}) exists and ${owner ? `belongs to stack "${owner}"` : 'belongs to no stack'}; \`tributary import\` adopts it` });
      continue;
    }
    const instanceChange = diffInstance(stack, decl, found);
    changes.push(instanceChange);
    const inst = decl.name;
    // A replaced instance comes back empty: everything declared in it is created, nothing is pruned.
    if (instanceChange.replaced) {
      const fresh = diff({ stack, instances: [decl] }, { instances: [] }).changes.filter((c) => c.kind !== 'instance');
      changes.push(...fresh);
      continue;
    }
    const topics = new Map((found?.topics ?? []).map((t) => [t.name, t]));
    for (const t of sorted(decl.topics, (x) => x.name)) changes.push(diffTopic(stack, inst, t, topics.get(t.name)));
    const users = new Map((found?.users ?? []).map((u) => [u.name, u]));
    for (const u of sorted(decl.users, (x) => x.name)) changes.push(diffUser(stack, inst, u, users.get(u.name)));
    const acls = new Map((found?.acls ?? []).map((a) => [aclKey(a), a]));
    for (const a of sorted(decl.acls, aclKey)) {
      const key = aclKey(a);
      const have = acls.get(key);
      const { labels: declaredLabels, ...binding } = a;
      const own = objectLabels(stack, declaredLabels, have?.labels);
      // An ACL's fields are what it is (its key): only its labels can change in place.
      const attributes = have ? own.changes : [...flatten('', binding).map((x) => ({ ...x, path: x.path.slice(1) })), ...own.changes];
      changes.push({ address: `instance.${inst}.acl.${key}`, instance: inst, name: key, kind: 'acl', action: !have ? 'create' : attributes.length ? 'update' : 'no-op', attributes, dataLoss: false, desired: { ...a, labels: own.labels }, ...(have ? { actual: have } : {}) });
    }
    const cqs = new Map((found?.clientQuotas ?? []).map((q) => [clientQuotaKey(q), q]));
    for (const q of sorted(decl.clientQuotas, clientQuotaKey)) {
      const key = clientQuotaKey(q);
      const have = cqs.get(key);
      const own = objectLabels(stack, q.labels, have?.labels);
      const attributes = [...diffFields(have ? rates(have) : {}, rates(q)), ...own.changes];
      changes.push({ address: `instance.${inst}.client-quota.${key}`, instance: inst, name: key, kind: 'client-quota', action: !have ? 'create' : attributes.length ? 'update' : 'no-op', attributes, dataLoss: false, desired: { ...q, labels: own.labels }, ...(have ? { actual: have } : {}) });
    }
    const gqs = new Map((found?.groupQuotas ?? []).map((q) => [q.group, q]));
    for (const q of sorted(decl.consumerGroupQuotas, (x) => x.group)) {
      const have = gqs.get(q.group);
      const own = objectLabels(stack, q.labels, have?.labels);
      const attributes = [...diffFields(have ? { maxMembers: have.maxMembers ?? undefined, consumerByteRate: have.consumerByteRate ?? undefined } : {}, { maxMembers: q.maxMembers, consumerByteRate: q.consumerByteRate }), ...own.changes];
      changes.push({ address: `instance.${inst}.consumer-group-quota.${q.group}`, instance: inst, name: q.group, kind: 'consumer-group-quota', action: !have ? 'create' : attributes.length ? 'update' : 'no-op', attributes, dataLoss: false, desired: { ...q, labels: own.labels }, ...(have ? { actual: have } : {}) });
    }
    if (!found) continue;
    // What the owned instance has and the file no longer declares.
    const declaredTopics = new Set(decl.topics.map((t) => t.name));
    for (const t of sorted(found.topics, (x) => x.name)) {
      if (!declaredTopics.has(t.name) && t.labels[STACK_LABEL] === stack) changes.push(deletion('topic', inst, t.name, `instance.${inst}.topic.${t.name}`, true, true, t));
    }
    // Users, ACLs and quotas: only those carrying the stack's label are its orphans.
    const mine = ownedBy(stack);
    const declaredUsers = new Set(decl.users.map((u) => u.name));
    for (const u of sorted(found.users.filter(mine), (x) => x.name)) if (!declaredUsers.has(u.name)) changes.push(deletion('user', inst, u.name, `instance.${inst}.user.${u.name}`, false, true, u));
    const declaredAcls = new Set(decl.acls.map(aclKey));
    for (const a of sorted(found.acls.filter(mine), aclKey)) if (!declaredAcls.has(aclKey(a))) changes.push(deletion('acl', inst, aclKey(a), `instance.${inst}.acl.${aclKey(a)}`, false, true, a));
    const declaredCqs = new Set(decl.clientQuotas.map(clientQuotaKey));
    for (const q of sorted(found.clientQuotas.filter(mine), clientQuotaKey)) if (!declaredCqs.has(clientQuotaKey(q))) changes.push(deletion('client-quota', inst, clientQuotaKey(q), `instance.${inst}.client-quota.${clientQuotaKey(q)}`, false, true, q));
    const declaredGqs = new Set(decl.consumerGroupQuotas.map((q) => q.group));
    for (const q of sorted(found.groupQuotas.filter(mine), (x) => x.group)) if (!declaredGqs.has(q.group)) changes.push(deletion('consumer-group-quota', inst, q.group, `instance.${inst}.consumer-group-quota.${q.group}`, false, true, q));
  }

  // Owned instances no longer declared: their topics, then the instance itself.
  for (const found of sorted(actual.instances, (i) => i.name)) {
    if (found.labels[STACK_LABEL] !== stack || declaredNames.has(found.name)) continue;
    for (const t of sorted(found.topics, (x) => x.name)) changes.push(deletion('topic', found.name, t.name, `instance.${found.name}.topic.${t.name}`, true, true, t));
    changes.push(deletion('instance', found.name, found.name, `instance.${found.name}`, true, true, found));
  }
  void options;
  return { stack, changes, conflicts };
}

/** What a plan would do with these flags: the changes to run, and those held back with the reason. */
export function partition(plan: Plan, flags: { prune: boolean; allowDataLoss: boolean }) {
  const run: Change[] = [];
  const held: { change: Change; reason: string }[] = [];
  for (const c of plan.changes) {
    if (c.action === 'no-op') continue;
    if (c.refused) held.push({ change: c, reason: c.refused });
    else if (c.orphan && !flags.prune) held.push({ change: c, reason: 'not in the files: deleted only with --prune' });
    else if (c.dataLoss && !flags.allowDataLoss) held.push({ change: c, reason: `${c.action === 'replace' ? 'replacing' : 'deleting'} it deletes data: needs --allow-data-loss` });
    else run.push(c);
  }
  return { run, held };
}

export function summarize(plan: Plan) {
  const count = (a: Action) => plan.changes.filter((c) => c.action === a).length;
  return { create: count('create'), update: count('update'), replace: count('replace'), delete: count('delete'), noop: count('no-op') };
}

/** True when the API differs from the files in anything (drift, or changes to apply). */
export const hasChanges = (plan: Plan) => plan.changes.some((c) => c.action !== 'no-op') || plan.conflicts.length > 0;
