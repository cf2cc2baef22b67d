import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../apps/cli/src/index.ts';
import { startE2eStack, type E2eStack } from '../support/e2e-stack.ts';

// Declarative spec files against the real local stack (API over HTTP, PostgreSQL, Redis, the
// operator with the local runtime and a real broker): apply, edit → plan shows exactly the edits,
// drift, unset keys, refusals, export → no-op, concurrent applies, import, destroy, and no secret in
// any output or file. The CLI runs in process through run(argv, io), the bin's own function.
const KEY = 'trib_decl_admin_key_0123456789abcdef';
const PASSWORD = 'shop-app-password-31337';
const scratch = mkdtempSync(join(tmpdir(), 'tributary-decl-'));
const dir = join(scratch, 'stack');
let stack: E2eStack;
const outputs: string[] = [];

interface Result { code: number; stdout: string; stderr: string }
async function cli(...args: string[]): Promise<Result> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(args, { out: (t) => out.push(t), err: (t) => err.push(t), color: false, tty: false });
  const r = { code, stdout: out.join(''), stderr: err.join('') };
  outputs.push(r.stdout, r.stderr);
  return r;
}
interface PlanJson { summary: Record<string, number>; conflicts: { message: string }[]; changes: { address: string; action: string; attributes: { path: string; before?: unknown; after?: unknown; note?: string }[]; held?: string; refused?: string }[] }
async function plan(...extra: string[]): Promise<PlanJson> {
  const r = await cli('-o', 'json', 'plan', '-f', dir, ...extra);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as PlanJson;
}
const changed = (p: PlanJson) => p.changes.filter((c) => c.action !== 'no-op');
async function api<T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: object): Promise<T> {
  const r = await stack.api(method, url, body);
  expect(r.statusCode, r.body).toBeLessThan(300);
  return r.json() as T;
}

const SPEC = {
  zone: 'zone-a', brokers: 1, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 100, topicLimit: 20, consumerGroupLimit: 20, billing: { mode: 'postpaid' },
};
function writeStack(edit: (inst: Record<string, unknown>) => void = () => {}) {
  const inst: Record<string, unknown> = {
    name: 'shop', labels: { team: 'shop' }, spec: SPEC,
    topics: [
      { name: 'events', partitions: 1, replicationFactor: 1 },
      { name: 'orders', partitions: 2, replicationFactor: 1, configs: { 'retention.ms': '3600000', 'cleanup.policy': 'delete' } },
    ],
    users: [{ name: 'app', password: { env: 'SHOP_APP_PASSWORD' }, labels: { team: 'shop' } }],
    acls: [{ resourceType: 'TOPIC', resourceName: 'orders', principal: 'User:app', operation: 'READ' }],
    clientQuotas: [{ user: 'app', producerByteRate: 1048576 }],
    consumerGroupQuotas: [{ group: 'readers', maxMembers: 4 }],
  };
  edit(inst);
  // YAML written as JSON-in-YAML is still YAML; a real YAML file is tested in the errors case below.
  writeFileSync(join(dir, 'shop.yaml'), `# the shop stack\n${JSON.stringify({ apiVersion: 'tributary.dev/v1', stack: 'shop', instances: [inst] }, null, 2)}\n`);
}
type Topic = { name: string; partitions: number; configs: Record<string, string>; status: { phase: string }; etag: string };
let instanceId = '';
const topicOf = (name: string) => api<Topic>('GET', `/v1/instances/${instanceId}/topics/${name}`);

beforeAll(async () => {
  stack = await startE2eStack({ key: KEY, etcd: false, stopGraceMs: 10_000, listen: true });
  process.env['TRIBUTARY_ENDPOINT'] = stack.url!;
  process.env['TRIBUTARY_API_KEY'] = KEY;
  process.env['TRIBUTARY_CONFIG_DIR'] = join(scratch, 'config');
  process.env['SHOP_APP_PASSWORD'] = PASSWORD;
  mkdirSync(dir, { recursive: true });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  rmSync(scratch, { recursive: true, force: true });
}, 120_000);

describe('tributary plan/apply/drift/export/import/destroy', () => {
  it('bad spec files: every problem with file:line:column, nothing read from the API', async () => {
    const bad = join(scratch, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'a.yaml'), 'apiVersion: tributary.dev/v1\nstack: shop\ninstances:\n  - name: x\n    spec: {zone: zone-q}\n    topics:\n      - name: t\n        partitions: 0\n        replicationFactor: 1\n    users:\n      - name: u\n        password: inline-secret-here\n');
    const r = await cli('plan', '-f', bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/a\.yaml:5:\d+: \/instances\/0\/spec\/zone: /);
    expect(r.stderr).toMatch(/a\.yaml:8:21: \/instances\/0\/topics\/0\/partitions: /);
    expect(r.stderr).toMatch(/a\.yaml:12:19: .*passwords are references, never inline/);
    expect(r.stderr).not.toContain('inline-secret-here');
  });

  it('apply creates everything and it is Ready; plan is then a no-op; edits plan exactly; unset resets; drift', async () => {
    writeStack();
    const first = await cli('plan', '-f', dir, '--detailed-exitcode');
    expect(first.code, first.stderr).toBe(2);
    expect(first.stdout).toMatch(/Plan for stack shop: 7 to create, 0 to update, 0 to replace, 0 to delete/);
    const applied = await cli('apply', '-f', dir, '--timeout', '3m');
    expect(applied.code, applied.stderr).toBe(0);
    const [inst] = (await api<{ items: { id: string; name: string; labels: Record<string, string>; status: { phase: string } }[] }>('GET', '/v1/instances')).items;
    instanceId = inst!.id;
    expect(inst).toMatchObject({ name: 'shop', labels: { team: 'shop', 'tributary.dev/stack': 'shop' }, status: { phase: 'Running' } });
    expect(inst!.labels['tributary.dev/apply-lock']).toBeUndefined();
    for (const t of ['events', 'orders']) expect((await topicOf(t)).status.phase).toBe('Ready');
    expect((await api<{ items: { name: string }[] }>('GET', `/v1/instances/${instanceId}/users`)).items.map((u) => u.name)).toEqual(['app']);
    expect((await api<{ items: unknown[] }>('GET', `/v1/instances/${instanceId}/acls`)).items).toHaveLength(1);
    expect((await api<{ items: unknown[] }>('GET', `/v1/instances/${instanceId}/client-quotas`)).items).toHaveLength(1);
    expect((await api<{ items: unknown[] }>('GET', `/v1/instances/${instanceId}/consumer-group-quotas`)).items).toHaveLength(1);
    // Users, ACLs and quotas carry the stack's label (and a user the file's own labels).
    for (const kind of ['users', 'acls', 'client-quotas', 'consumer-group-quotas']) {
      expect((await api<{ items: unknown[] }>('GET', `/v1/instances/${instanceId}/${kind}?label=tributary.dev/stack=shop`)).items, kind).toHaveLength(1);
    }
    expect((await api<{ labels: Record<string, string> }>('GET', `/v1/instances/${instanceId}/users/app`)).labels).toEqual({ team: 'shop', 'tributary.dev/stack': 'shop' });
    expect((await cli('plan', '-f', dir, '--detailed-exitcode')).code).toBe(0);

    // Edit: grow orders, change one config, drop another (reset), add a topic.
    writeStack((i) => {
      (i['topics'] as object[]).splice(1, 1, { name: 'orders', partitions: 4, replicationFactor: 1, configs: { 'retention.ms': '7200000' } });
      (i['topics'] as object[]).push({ name: 'audit', partitions: 1, replicationFactor: 1 });
    });
    const p = await plan();
    expect(changed(p).map((c) => [c.address, c.action, c.attributes])).toEqual([
      ['instance.shop.topic.audit', 'create', [{ path: 'partitions', after: 1 }, { path: 'replicationFactor', after: 1 }]],
      ['instance.shop.topic.orders', 'update', [
        { path: 'partitions', before: 2, after: 4, note: 'grow in place' },
        { path: 'configs/retention.ms', before: '3600000', after: '7200000' },
        { path: 'configs/cleanup.policy', before: 'delete', note: 'reset to default (removed from the file)' },
      ]],
    ]);
    expect((await cli('apply', '-f', dir, '--timeout', '3m')).code).toBe(0);
    expect(changed(await plan())).toEqual([]);
    const orders = await topicOf('orders');
    expect(orders.partitions).toBe(4);
    expect(orders.configs).toEqual({ 'retention.ms': '7200000' });

    // Out of band: a key the file never set is not drift, nor an ACL made by hand (it does not carry
    // the stack's label: not the stack's); a managed key changed is, and so is an ACL carrying the
    // stack's label that the files do not declare.
    await api('PATCH', `/v1/instances/${instanceId}/topics/events`, { configs: { 'retention.bytes': '1048576' } });
    const byHand = await api<{ resource: { id: string } }>('POST', `/v1/instances/${instanceId}/acls`, { resourceType: 'GROUP', resourceName: 'by-hand', principal: 'User:app', operation: 'READ' });
    expect((await cli('drift', '-f', dir, '--detailed-exitcode')).code).toBe(0);
    await api('PATCH', `/v1/instances/${instanceId}/topics/orders`, { configs: { 'retention.ms': '60000' } });
    await api('POST', `/v1/instances/${instanceId}/acls`, { resourceType: 'GROUP', resourceName: 'x', principal: 'User:app', operation: 'READ', labels: { 'tributary.dev/stack': 'shop' } });
    const drift = await cli('drift', '-f', dir, '--detailed-exitcode');
    expect(drift.code).toBe(2);
    expect(drift.stdout).toContain('~ instance.shop.topic.orders');
    expect(drift.stdout).toContain('configs/retention.ms: "60000" → "7200000"');
    expect(drift.stdout).toMatch(/- instance\.shop\.acl\.GROUP\|LITERAL\|x\|User:app\|\*\|READ\|ALLOW {2}\(not in the files\)/);
    expect(drift.stdout).not.toContain('by-hand');
    // apply puts the managed key back; the ACL the stack does not declare stays without --prune
    expect((await cli('apply', '-f', dir, '--timeout', '3m')).code).toBe(0);
    expect((await topicOf('orders')).configs).toEqual({ 'retention.ms': '7200000' });
    expect((await topicOf('events')).configs).toEqual({ 'retention.bytes': '1048576' });
    const aclNames = async () => (await api<{ items: { resourceName: string }[] }>('GET', `/v1/instances/${instanceId}/acls`)).items.map((a) => a.resourceName).sort();
    expect(await aclNames()).toEqual(['by-hand', 'orders', 'x']);
    // --prune deletes the stack's undeclared ACL, never the one made by hand
    expect((await cli('apply', '-f', dir, '--prune', '--timeout', '3m')).code).toBe(0);
    expect(await aclNames()).toEqual(['by-hand', 'orders']);
    expect((await cli('drift', '-f', dir, '--detailed-exitcode')).code).toBe(0);
    // (removed so that the zone change below may replace the instance: it would delete the ACL too)
    await api('DELETE', `/v1/instances/${instanceId}/acls/${byHand.resource.id}`);
  }, 600_000);

  it('destructive edits are refused without their flag and nothing is changed', async () => {
    writeStack((i) => {
      (i['topics'] as object[]).splice(1, 1, { name: 'orders', partitions: 2, replicationFactor: 1, configs: { 'retention.ms': '7200000' } });
    });
    const shrink = await cli('apply', '-f', dir, '--prune', '--allow-data-loss');
    expect(shrink.code).toBe(8);
    expect(shrink.stderr).toMatch(/instance\.shop\.topic\.orders: partitions 4 → 2: Kafka cannot remove partitions/);
    expect((await topicOf('orders')).partitions).toBe(4);
    // audit is gone from the file: with --prune it is a delete, which deletes data
    writeStack((i) => { (i['topics'] as object[]).splice(1, 1, { name: 'orders', partitions: 4, replicationFactor: 1, configs: { 'retention.ms': '7200000' } }); });
    const kept = await cli('apply', '-f', dir);
    expect(kept.code, kept.stderr).toBe(0); // without --prune the topic is only reported
    expect(kept.stdout).toMatch(/- instance\.shop\.topic\.audit {2}\(not in the files\) {2}\(held: not in the files: deleted only with --prune\)/);
    const refused = await cli('apply', '-f', dir, '--prune');
    expect(refused.code).toBe(8);
    expect(refused.stderr).toMatch(/instance\.shop\.topic\.audit: deleting it deletes data: needs --allow-data-loss/);
    expect((await topicOf('audit')).status.phase).toBe('Ready');
    expect((await cli('apply', '-f', dir, '--prune', '--allow-data-loss', '--timeout', '3m')).code).toBe(0);
    expect((await stack.api('GET', `/v1/instances/${instanceId}/topics/audit`)).statusCode).toBe(404);
  }, 600_000);

  it('export → plan is a no-op; two concurrent applies: one conflicts having done nothing', async () => {
    const out = join(scratch, 'exported', 'shop.yaml');
    const exported = await cli('export', '--stack', 'shop', '-O', out);
    expect(exported.code, exported.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('TRIBUTARY_PASSWORD_APP');
    const again = await cli('-o', 'json', 'plan', '-f', join(scratch, 'exported'), '--detailed-exitcode');
    expect(again.code, again.stdout).toBe(0);

    writeStack((i) => {
      (i['topics'] as object[]).splice(0, 1, { name: 'events', partitions: 2, replicationFactor: 1 });
      (i['topics'] as object[]).splice(1, 1, { name: 'orders', partitions: 4, replicationFactor: 1, configs: { 'retention.ms': '7200000' } });
    });
    const [a, b] = await Promise.all([cli('apply', '-f', dir, '--timeout', '3m'), cli('apply', '-f', dir, '--timeout', '3m')]);
    const codes = [a.code, b.code].sort();
    expect(codes, `${a.stderr}\n---\n${b.stderr}`).toEqual([0, 4]);
    const loser = a.code === 4 ? a : b;
    expect(loser.stderr).toMatch(/nothing was changed/);
    expect(loser.stderr).not.toMatch(/: done \(/);
    expect(changed(await plan())).toEqual([]);
    expect((await topicOf('events')).partitions).toBe(2);
  }, 600_000);

  it('import adopts an instance made elsewhere; its exported spec plans as a no-op and a dropped key is reset', async () => {
    const created = await api<{ resource: { id: string } }>('POST', '/v1/instances', { name: 'legacy', spec: SPEC });
    await api('POST', `/v1/instances/${created.resource.id}/topics`, { name: 'old', partitions: 1, replicationFactor: 1, configs: { 'retention.ms': '1000', 'cleanup.policy': 'delete' } });
    await api('POST', `/v1/instances/${created.resource.id}/users`, { name: 'legacy-app', password: PASSWORD, labels: { team: 'legacy' } });
    const other = join(scratch, 'legacy');
    mkdirSync(other);
    writeFileSync(join(other, 'legacy.yaml'), `apiVersion: tributary.dev/v1\nstack: legacy\ninstances:\n  - name: legacy\n    spec: ${JSON.stringify(SPEC)}\n`);
    const conflict = await cli('plan', '-f', other, '--detailed-exitcode');
    expect(conflict.code).toBe(2);
    expect(conflict.stdout).toMatch(/instance "legacy" \(ins-[0-9a-f]+\) exists and belongs to no stack; `tributary import` adopts it/);
    expect((await cli('apply', '-f', other)).code).toBe(8);

    const imported = await cli('import', '--stack', 'legacy', '-i', 'legacy', '-O', join(other, 'legacy.yaml'));
    expect(imported.code, imported.stderr).toBe(0);
    // The user is adopted with the topic: labelled, and in the file as a password reference.
    expect((await api<{ items: { name: string; labels: Record<string, string> }[] }>('GET', `/v1/instances/${created.resource.id}/users?label=tributary.dev/stack=legacy`)).items)
      .toEqual([expect.objectContaining({ name: 'legacy-app', labels: { team: 'legacy', 'tributary.dev/stack': 'legacy' } })]);
    expect((await cli('plan', '-f', other, '--detailed-exitcode')).code).toBe(0);
    const file = readFileSync(join(other, 'legacy.yaml'), 'utf8');
    expect(file).toContain('TRIBUTARY_PASSWORD_LEGACY_APP');
    writeFileSync(join(other, 'legacy.yaml'), file.replace(/^\s+cleanup\.policy: delete\n/m, ''));
    const reset = await plan_('-f', other);
    expect(changed(reset).map((c) => [c.address, c.attributes])).toEqual([['instance.legacy.topic.old', [{ path: 'configs/cleanup.policy', before: 'delete', note: 'reset to default (removed from the file)' }]]]);
    const gone = await cli('destroy', '--stack', 'legacy', '--allow-data-loss', '--timeout', '3m');
    expect(gone.code, gone.stderr).toBe(0);
  }, 600_000);

  it('a zone change replaces the instance: held without --allow-data-loss, then deleted and created again with everything in it; plan is then a no-op', async () => {
    const before = await api<{ items: { id: string; name: string }[] }>('GET', '/v1/instances?name=shop');
    const oldId = before.items[0]!.id;
    writeStack((i) => {
      i['spec'] = { ...SPEC, zone: 'zone-b' };
      (i['topics'] as object[]).splice(0, 1, { name: 'events', partitions: 2, replicationFactor: 1 });
      (i['topics'] as object[]).splice(1, 1, { name: 'orders', partitions: 4, replicationFactor: 1, configs: { 'retention.ms': '7200000' } });
    });
    const planned = await plan();
    expect(changed(planned).map((c) => [c.address, c.action, c.held ?? null])).toEqual([
      ['instance.shop', 'replace', 'replacing it deletes data: needs --allow-data-loss'],
      ...['events', 'orders'].map((t) => [`instance.shop.topic.${t}`, 'create', null]),
      ['instance.shop.user.app', 'create', null],
      [expect.stringMatching(/^instance\.shop\.acl\.TOPIC\|/), 'create', null],
      ['instance.shop.client-quota.user=app;client-id=<default>', 'create', null],
      ['instance.shop.consumer-group-quota.readers', 'create', null],
    ]);
    expect(changed(planned)[0]!.attributes).toEqual([{ path: 'spec/zone', before: 'zone-a', after: 'zone-b', note: 'forces replacement' }]);
    const text = await cli('plan', '-f', dir);
    expect(text.stdout).toContain('-/+ instance.shop  (replace: the instance, its topics and their messages are deleted, then created again from the files)');
    const held = await cli('apply', '-f', dir);
    expect(held.code).toBe(8);
    expect((await api<{ id: string }>('GET', `/v1/instances/${oldId}`)).id).toBe(oldId);

    const replaced = await cli('apply', '-f', dir, '--allow-data-loss', '--timeout', '4m');
    expect(replaced.code, replaced.stderr).toBe(0);
    expect((await stack.api('GET', `/v1/instances/${oldId}`)).statusCode).toBe(404);
    const now = (await api<{ items: { id: string; spec: { zone: string }; status: { phase: string } }[] }>('GET', '/v1/instances?name=shop')).items;
    expect(now.map((x) => [x.id === oldId, x.spec.zone, x.status.phase])).toEqual([[false, 'zone-b', 'Running']]);
    instanceId = now[0]!.id;
    expect(((await topicOf('orders')).configs)['retention.ms']).toBe('7200000');
    expect((await topicOf('events')).partitions).toBe(2);
    expect((await api<{ items: { name: string }[] }>('GET', `/v1/instances/${instanceId}/users`)).items.map((u) => u.name)).toEqual(['app']);
    expect(changed(await plan())).toEqual([]);
  }, 600_000);

  it('destroy needs --allow-data-loss and leaves nothing; no secret in any output or file', async () => {
    const refused = await cli('destroy', '-f', dir);
    expect(refused.code).toBe(8);
    expect((await api<{ items: unknown[] }>('GET', '/v1/instances')).items).toHaveLength(1);
    const destroyed = await cli('destroy', '-f', dir, '--allow-data-loss', '--timeout', '3m');
    expect(destroyed.code, destroyed.stderr).toBe(0);
    expect((await api<{ items: unknown[] }>('GET', '/v1/instances')).items).toEqual([]);
    expect(await stack.runtime.knownInstances()).toEqual([]);
    expect((await cli('plan', '-f', dir, '--detailed-exitcode')).code).toBe(2); // everything to create again

    for (const o of outputs) expect(o).not.toContain(PASSWORD);
    const files = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(d, e.name)) : [join(d, e.name)]));
    for (const f of files(scratch)) expect(readFileSync(f, 'utf8'), f).not.toContain(PASSWORD);
  }, 600_000);
});

async function plan_(...args: string[]): Promise<PlanJson> {
  const r = await cli('-o', 'json', 'plan', ...args);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as PlanJson;
}
