import { describe, expect, it } from 'vitest';
import { diff, diffConfigs, hasChanges, partition, summarize } from './diff.ts';
import { exportSpec } from './export.ts';
import { InstanceDeclSchema, type InstanceDecl } from './format.ts';
import { LOCK_LABEL, MANAGED_CONFIG_PREFIX, STACK_LABEL, type ActualInstance } from './model.ts';

const spec = { zone: 'zone-a' as const, brokers: 1, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 100, topicLimit: 50, consumerGroupLimit: 50, billing: { mode: 'postpaid' as const }, brokerConfig: {} };
const decl = (over: Partial<InstanceDecl> = {}): InstanceDecl => InstanceDeclSchema.parse({ name: 'pay', spec, ...over });
const owned = (over: Partial<ActualInstance> = {}): ActualInstance => ({
  id: 'ins-1', name: 'pay', etag: '"ins-1.1"', labels: { [STACK_LABEL]: 's' }, spec, phase: 'Running', topics: [], users: [], acls: [], clientQuotas: [], groupQuotas: [], ...over,
});
const topic = (over: Record<string, unknown> = {}) => ({ name: 'orders', etag: '"t.1"', partitions: 3, replicationFactor: 1, configs: {}, labels: { [STACK_LABEL]: 's' }, ...over });
const mine = { labels: { [STACK_LABEL]: 's' } };
const only = (plan: ReturnType<typeof diff>) => plan.changes.filter((c) => c.action !== 'no-op');

describe('diff', () => {
  it('creates what does not exist, labelled with the stack and a marker per config key the file sets', () => {
    const plan = diff({ stack: 's', instances: [decl({ topics: [{ name: 'orders', partitions: 3, replicationFactor: 1, configs: { 'retention.ms': '1000' } }] })] }, { instances: [] });
    expect(plan.changes.map((c) => [c.address, c.action])).toEqual([['instance.pay', 'create'], ['instance.pay.topic.orders', 'create']]);
    const t = plan.changes[1]!;
    expect(t.kind === 'topic' && t.desired?.labels).toEqual({ [STACK_LABEL]: 's', [`${MANAGED_CONFIG_PREFIX}retention.ms`]: 'managed' });
    expect(summarize(plan)).toMatchObject({ create: 2, update: 0 });
  });

  it('is a no-op when everything matches, and a key the file does not set is not drift', () => {
    // retention.bytes was set by someone else and never by the stack (no marker): not a change.
    const actual = owned({ topics: [topic({ configs: { 'retention.ms': '1000', 'retention.bytes': '5' }, labels: { [STACK_LABEL]: 's', [`${MANAGED_CONFIG_PREFIX}retention.ms`]: 'managed' } })] });
    const plan = diff({ stack: 's', instances: [decl({ topics: [{ name: 'orders', partitions: 3, replicationFactor: 1, configs: { 'retention.ms': '1000' } }] })] }, { instances: [actual] });
    expect(only(plan)).toEqual([]);
    expect(hasChanges(plan)).toBe(false);
  });

  it('a key removed from the file (its marker still there) is reset to its default', () => {
    const actual = owned({ topics: [topic({ configs: { 'retention.ms': '1000', 'cleanup.policy': 'compact' }, labels: { [STACK_LABEL]: 's', [`${MANAGED_CONFIG_PREFIX}retention.ms`]: 'managed', [`${MANAGED_CONFIG_PREFIX}cleanup.policy`]: 'managed' } })] });
    const plan = diff({ stack: 's', instances: [decl({ topics: [{ name: 'orders', partitions: 3, replicationFactor: 1, configs: { 'retention.ms': '1000' } }] })] }, { instances: [actual] });
    const [c] = only(plan);
    expect(c?.action).toBe('update');
    expect(c?.attributes).toEqual([{ path: 'configs/cleanup.policy', before: 'compact', note: 'reset to default (removed from the file)' }]);
    expect(c?.kind === 'topic' && c.desired?.configs).toEqual({ 'retention.ms': '1000' });
    expect(c?.kind === 'topic' && c.desired?.labels[`${MANAGED_CONFIG_PREFIX}cleanup.policy`]).toBeUndefined();
  });

  it('partitions grow in place; fewer partitions are refused with the reason', () => {
    const grow = diff({ stack: 's', instances: [decl({ topics: [{ name: 'orders', partitions: 6, replicationFactor: 1 }] })] }, { instances: [owned({ topics: [topic()] })] });
    expect(only(grow)[0]).toMatchObject({ action: 'update', dataLoss: false, attributes: [{ path: 'partitions', before: 3, after: 6, note: 'grow in place' }] });
    const shrink = diff({ stack: 's', instances: [decl({ topics: [{ name: 'orders', partitions: 2, replicationFactor: 1 }] })] }, { instances: [owned({ topics: [topic()] })] });
    expect(only(shrink)[0]?.refused).toMatch(/Kafka cannot remove partitions/);
    expect(partition(shrink, { prune: true, allowDataLoss: true }).held).toHaveLength(1);
  });

  it('a replication-factor change is an in-place update that keeps the messages (no --allow-data-loss)', () => {
    const plan = diff({ stack: 's', instances: [decl({ spec: { ...spec, brokers: 3 }, topics: [{ name: 'orders', partitions: 3, replicationFactor: 3 }] })] }, { instances: [owned({ spec: { ...spec, brokers: 3 }, topics: [topic()] })] });
    const [c] = only(plan);
    expect(c).toMatchObject({ action: 'update', dataLoss: false, attributes: [{ path: 'replicationFactor', before: 1, after: 3 }] });
    expect(c?.kind === 'topic' && c.desired?.replicationFactor).toBe(3);
    expect(partition(plan, { prune: false, allowDataLoss: false }).run).toHaveLength(1);
  });

  it('instance scale-down is an in-place update unless a topic is wider than the brokers left; disk shrink is refused; growth is an update', () => {
    const plan = diff({ stack: 's', instances: [decl({ spec: { ...spec, brokers: 3, bandwidthMBps: 100 } })] }, { instances: [owned()] });
    expect(only(plan)[0]).toMatchObject({ action: 'update', attributes: [{ path: 'spec/brokers', before: 1, after: 3 }, { path: 'spec/bandwidthMBps', before: 40, after: 100 }] });
    const down = diff({ stack: 's', instances: [decl({ spec: { ...spec, brokers: 2 }, topics: [{ name: 'orders', partitions: 3, replicationFactor: 2 }] })] }, { instances: [owned({ spec: { ...spec, brokers: 3 }, topics: [topic({ replicationFactor: 2 })] })] });
    expect(only(down)[0]).toMatchObject({ action: 'update', attributes: [{ path: 'spec/brokers', before: 3, after: 2, note: expect.stringMatching(/drained/) }] });
    expect(only(down)[0]?.refused).toBeUndefined();
    const tooWide = diff({ stack: 's', instances: [decl({ topics: [{ name: 'orders', partitions: 3, replicationFactor: 3 }] })] }, { instances: [owned({ spec: { ...spec, brokers: 3 }, topics: [topic({ replicationFactor: 3 })] })] });
    expect(only(tooWide)[0]?.refused).toMatch(/topic orders has replication factor 3, more than 1 brokers can hold/);
    const disk = diff({ stack: 's', instances: [decl()] }, { instances: [owned({ spec: { ...spec, diskGiB: 200 } })] });
    expect(only(disk)[0]?.refused).toMatch(/disks only grow/);
    expect(partition(disk, { prune: true, allowDataLoss: true }).run).toHaveLength(0);
  });

  it('messageBrowsing: set in the file it is compared and written; absent it is kept as it is (an update never turns it back on)', () => {
    const off = { ...spec, messageBrowsing: 'disabled' as const };
    expect(only(diff({ stack: 's', instances: [decl()] }, { instances: [owned({ spec: off })] }))).toEqual([]);
    const grow = diff({ stack: 's', instances: [decl({ spec: { ...spec, brokers: 2 } })] }, { instances: [owned({ spec: off })] });
    const c = only(grow)[0];
    expect(c?.kind === 'instance' && c.desired?.spec.messageBrowsing).toBe('disabled');
    const turnOff = only(diff({ stack: 's', instances: [decl({ spec: off })] }, { instances: [owned()] }))[0];
    expect(turnOff).toMatchObject({ action: 'update', attributes: [{ path: 'spec/messageBrowsing', before: 'enabled', after: 'disabled' }] });
    expect(only(diff({ stack: 's', instances: [decl({ spec: off })] }, { instances: [owned({ spec: off })] }))).toEqual([]);
  });

  it('a zone or billing-mode change replaces the instance (--allow-data-loss): everything declared in it is created again, nothing else is refused', () => {
    const declared = decl({ spec: { ...spec, zone: 'zone-b', brokers: 1 }, topics: [{ name: 'orders', partitions: 3, replicationFactor: 1 }] } as never);
    // Even a smaller broker count is no refusal: the new instance starts at the declared size.
    const actual = owned({ spec: { ...spec, brokers: 3 }, topics: [topic(), topic({ name: 'undeclared' })] });
    const plan = diff({ stack: 's', instances: [declared] }, { instances: [actual] });
    const [inst, ...rest] = only(plan);
    expect(inst).toMatchObject({ kind: 'instance', action: 'replace', dataLoss: true, replaced: true });
    expect(inst?.refused).toBeUndefined();
    expect(inst?.attributes).toEqual([{ path: 'spec/zone', before: 'zone-a', after: 'zone-b', note: 'forces replacement' }, { path: 'spec/brokers', before: 3, after: 1 }]);
    expect(inst?.kind === 'instance' && inst.desired?.labels[STACK_LABEL]).toBe('s');
    // Its topic is created again (the old one goes with the instance); the undeclared one is not pruned separately.
    expect(rest.map((c) => `${c.action} ${c.address}`)).toEqual(['create instance.pay.topic.orders']);
    expect(partition(plan, { prune: false, allowDataLoss: false }).held.map((h) => h.reason)).toEqual(['replacing it deletes data: needs --allow-data-loss']);
    expect(partition(plan, { prune: false, allowDataLoss: true }).run).toHaveLength(2);
    // A topic the stack does not own would go with the instance: refused, even with every flag.
    const foreign = diff({ stack: 's', instances: [declared] }, { instances: [{ ...actual, topics: [topic(), topic({ name: 'app-made', labels: {} })] }] });
    expect(only(foreign)[0]?.refused).toMatch(/would delete what the stack does not own \(topic app-made\)/);
    // So would a user (or ACL, or quota) without the stack's label.
    const foreignUser = diff({ stack: 's', instances: [declared] }, { instances: [{ ...actual, users: [{ id: 'u9', etag: '"u9"', name: 'app-user', mechanism: 'SCRAM-SHA-512', iterations: 8192, labels: {} }] }] });
    expect(only(foreignUser)[0]?.refused).toMatch(/would delete what the stack does not own \(user app-user\)/);
    expect(partition(foreign, { prune: true, allowDataLoss: true }).run.filter((c) => c.kind === 'instance')).toEqual([]);
    const billing = diff({ stack: 's', instances: [decl({ spec: { ...spec, billing: { mode: 'prepaid', periodMonths: 1 } } } as never)] }, { instances: [owned()] });
    expect(only(billing)[0]).toMatchObject({ action: 'replace', attributes: expect.arrayContaining([{ path: 'spec/billing/mode', before: 'postpaid', after: 'prepaid', note: 'forces replacement' }]) });
  });

  it('ownership: what the stack owns and the files dropped is an orphan (deleted only with --prune); others\' instances are conflicts; unowned topics are ignored', () => {
    const actual = [
      owned({ topics: [topic({ name: 'gone' }), topic({ name: 'app-made', labels: {} })], acls: [{ id: 'a1', etag: '"a1.1"', resourceType: 'TOPIC', resourceName: 'x', patternType: 'LITERAL', principal: 'User:u', host: '*', operation: 'READ', permissionType: 'ALLOW', ...mine }] }),
      owned({ id: 'ins-2', name: 'old', topics: [topic()] }),
      owned({ id: 'ins-3', name: 'theirs', labels: { [STACK_LABEL]: 'other' } }),
    ];
    const plan = diff({ stack: 's', instances: [decl(), decl({ name: 'theirs' })] }, { instances: actual });
    expect(only(plan).map((c) => [c.address, c.action, c.orphan])).toEqual([
      ['instance.pay.topic.gone', 'delete', true],
      ['instance.pay.acl.TOPIC|LITERAL|x|User:u|*|READ|ALLOW', 'delete', true],
      ['instance.old.topic.orders', 'delete', true],
      ['instance.old', 'delete', true],
    ]);
    expect(plan.conflicts).toEqual([{ instance: 'theirs', message: expect.stringContaining('belongs to stack "other"') }]);
    const { run, held } = partition(plan, { prune: false, allowDataLoss: false });
    expect(run).toEqual([]);
    expect(held.every((h) => h.reason.includes('--prune'))).toBe(true);
    expect(partition(plan, { prune: true, allowDataLoss: false }).run.map((c) => c.kind)).toEqual(['acl']);
    expect(partition(plan, { prune: true, allowDataLoss: true }).run).toHaveLength(4);
  });

  it('labels: set in the file they are owned; absent they are left alone; system labels never show', () => {
    const actual = owned({ labels: { [STACK_LABEL]: 's', [LOCK_LABEL]: 'x', team: 'a' } });
    expect(only(diff({ stack: 's', instances: [decl()] }, { instances: [actual] }))).toEqual([]);
    const plan = diff({ stack: 's', instances: [decl({ labels: { team: 'b' } })] }, { instances: [actual] });
    expect(only(plan)[0]?.attributes).toEqual([{ path: 'labels/team', before: 'a', after: 'b' }]);
  });

  it('users: the password is a reference and never compared or carried as a value; mechanism change replaces', () => {
    const user = { id: 'u1', etag: '"u1.1"', name: 'app', mechanism: 'SCRAM-SHA-512', iterations: 8192, ...mine };
    const d = decl({ users: [{ name: 'app', password: { env: 'APP_PW' }, mechanism: 'SCRAM-SHA-512', iterations: 8192 }] });
    expect(only(diff({ stack: 's', instances: [d] }, { instances: [owned({ users: [user] })] }))).toEqual([]);
    const created = only(diff({ stack: 's', instances: [d] }, { instances: [owned()] }))[0]!;
    expect(created.attributes).toContainEqual({ path: 'password', after: '(from environment variable APP_PW)' });
    const d256 = decl({ users: [{ name: 'app', password: { env: 'APP_PW' }, mechanism: 'SCRAM-SHA-256', iterations: 8192 }] });
    expect(only(diff({ stack: 's', instances: [d256] }, { instances: [owned({ users: [user] })] }))[0]).toMatchObject({ action: 'replace', dataLoss: false });
  });

  it('quotas: rates compared, a rate removed from the file is removed', () => {
    const q = { id: 'q1', etag: '"q1.1"', user: 'app', clientId: null, producerByteRate: 2048, consumerByteRate: 4096, requestPercentage: null, ...mine };
    const plan = diff({ stack: 's', instances: [decl({ clientQuotas: [{ user: 'app', producerByteRate: 2048 }] })] }, { instances: [owned({ clientQuotas: [q] })] });
    expect(only(plan)[0]).toMatchObject({ action: 'update', attributes: [{ path: 'consumerByteRate', before: 4096 }] });
  });

  it('users, ACLs and quotas: the stack\'s label owns them — unlabelled ones are adopted when declared, never pruned when not; file labels are owned', () => {
    const acl = { id: 'a1', etag: '"a1.1"', resourceType: 'TOPIC', resourceName: 'orders', patternType: 'LITERAL', principal: 'User:app', host: '*', operation: 'READ', permissionType: 'ALLOW' };
    const appMade = { id: 'u2', etag: '"u2.1"', name: 'made-by-hand', mechanism: 'SCRAM-SHA-512', iterations: 8192, labels: {} };
    const gone = { id: 'g1', etag: '"g1.1"', group: 'gone', maxMembers: 2, consumerByteRate: null, ...mine };
    const d = decl({
      acls: [{ resourceType: 'TOPIC', resourceName: 'orders', principal: 'User:app', operation: 'READ', labels: { team: 'pay' } }],
      clientQuotas: [{ user: 'app', producerByteRate: 2048 }],
    } as never);
    const actual = owned({
      acls: [{ ...acl, labels: {} }], users: [appMade], groupQuotas: [gone],
      clientQuotas: [{ id: 'q1', etag: '"q1.1"', user: 'app', clientId: null, producerByteRate: 2048, consumerByteRate: null, requestPercentage: null, labels: { [STACK_LABEL]: 's', tier: 'gold' } }],
    });
    const plan = diff({ stack: 's', instances: [d] }, { instances: [actual] });
    expect(only(plan).map((c) => [c.address, c.action, c.attributes])).toEqual([
      ['instance.pay.acl.TOPIC|LITERAL|orders|User:app|*|READ|ALLOW', 'update', [{ path: `labels/${STACK_LABEL}`, after: 's', note: 'adopted by the stack' }, { path: 'labels/team', after: 'pay' }]],
      // the group quota carries the stack's label and is gone from the file: an orphan; the hand-made user is not
      ['instance.pay.consumer-group-quota.gone', 'delete', []],
    ]);
    const aclChange = only(plan)[0]!;
    expect(aclChange.kind === 'acl' && aclChange.desired?.labels).toEqual({ team: 'pay', [STACK_LABEL]: 's' });
    // The quota's file sets no labels: its own (tier) are kept, with the stack's.
    const quota = plan.changes.find((c) => c.kind === 'client-quota')!;
    expect(quota).toMatchObject({ action: 'no-op', desired: { labels: { [STACK_LABEL]: 's', tier: 'gold' } } });
    expect(partition(plan, { prune: true, allowDataLoss: false }).run.map((c) => c.address)).toEqual(['instance.pay.acl.TOPIC|LITERAL|orders|User:app|*|READ|ALLOW', 'instance.pay.consumer-group-quota.gone']);
    // A new one is created with the stack's label and the file's; a label change alone updates a user in place.
    const created = diff({ stack: 's', instances: [decl({ users: [{ name: 'app', password: { env: 'PW' }, labels: { team: 'pay' } }] } as never)] }, { instances: [owned()] });
    expect(only(created)[0]).toMatchObject({ action: 'create', desired: { labels: { team: 'pay', [STACK_LABEL]: 's' } } });
    expect(only(created)[0]?.attributes).toContainEqual({ path: 'labels/team', after: 'pay' });
    const user = { id: 'u1', etag: '"u1.1"', name: 'app', mechanism: 'SCRAM-SHA-512', iterations: 8192, labels: { [STACK_LABEL]: 's', team: 'old' } };
    const relabel = diff({ stack: 's', instances: [decl({ users: [{ name: 'app', password: { env: 'PW' }, labels: { team: 'pay' } }] } as never)] }, { instances: [owned({ users: [user] })] });
    expect(only(relabel).map((c) => [c.action, c.attributes])).toEqual([['update', [{ path: 'labels/team', before: 'old', after: 'pay' }]]]);
  });

  it('export writes only what carries the stack\'s label, with each resource\'s own labels', () => {
    const actual = owned({
      topics: [topic(), topic({ name: 'app-made', labels: {} })],
      users: [{ id: 'u1', etag: '"u"', name: 'app', mechanism: 'SCRAM-SHA-512', iterations: 8192, labels: { [STACK_LABEL]: 's', team: 'pay' } }, { id: 'u2', etag: '"u2"', name: 'hand', mechanism: 'SCRAM-SHA-512', iterations: 8192, labels: {} }],
      acls: [{ id: 'a1', etag: '"a"', resourceType: 'TOPIC', resourceName: 'x', patternType: 'LITERAL', principal: 'User:hand', host: '*', operation: 'READ', permissionType: 'ALLOW', labels: {} }],
    });
    const [inst] = exportSpec('s', [actual]).instances;
    expect(inst?.topics.map((t) => t.name)).toEqual(['orders']);
    expect(inst?.users).toEqual([{ name: 'app', password: { env: 'TRIBUTARY_PASSWORD_APP' }, mechanism: 'SCRAM-SHA-512', iterations: 8192, labels: { team: 'pay' } }]);
    expect(inst?.acls).toEqual([]);
  });

  it('export → diff is a no-op, whatever the instance holds', () => {
    const actual = owned({
      labels: { [STACK_LABEL]: 's', team: 'a' },
      spec: { ...spec, brokerConfig: { 'auto.create.topics.enable': 'false' } },
      topics: [topic({ configs: { 'retention.ms': '5' }, labels: { [STACK_LABEL]: 's', owner: 'x' } })],
      users: [{ id: 'u1', etag: '"u"', name: 'app', mechanism: 'SCRAM-SHA-256', iterations: 4096, labels: { [STACK_LABEL]: 's', team: 'a' } }],
      acls: [{ id: 'a1', etag: '"a"', resourceType: 'TOPIC', resourceName: 'orders', patternType: 'PREFIXED', principal: 'User:app', host: '*', operation: 'WRITE', permissionType: 'ALLOW', ...mine }],
      clientQuotas: [{ id: 'q', etag: '"q"', user: null, clientId: 'c', producerByteRate: 2048, consumerByteRate: null, requestPercentage: null, labels: { [STACK_LABEL]: 's', tier: 'gold' } }],
      groupQuotas: [{ id: 'g', etag: '"g"', group: 'readers', maxMembers: 3, consumerByteRate: null, ...mine }],
    });
    const file = exportSpec('s', [actual]);
    const reparsed = { stack: 's', instances: file.instances.map((i) => InstanceDeclSchema.parse(i)) };
    expect(only(diff(reparsed, { instances: [actual] }))).toEqual([]);
    expect(JSON.stringify(file)).toContain('TRIBUTARY_PASSWORD_APP');
  });

  it('diffConfigs keeps the keys it does not manage', () => {
    const r = diffConfigs('c', { a: '1' }, { a: '0', b: '2' }, {});
    expect(r.next).toEqual({ a: '1', b: '2' });
    expect(r.changes).toEqual([{ path: 'c/a', before: '0', after: '1' }]);
  });
});
