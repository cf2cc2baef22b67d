import { describe, expect, it } from 'vitest';
import { useApiHarness } from '../testing/api-harness.ts';

// Labels on SCRAM users, ACLs, client quotas and consumer-group quotas (the CLI's stack ownership,
// `tributary.dev/stack`, needs them): set on create, filtered by `?label=`, replaced by PATCH with
// If-Match (no operation: the brokers never see labels), kept by a rotation or a quota PUT that
// leaves them out, replaced by one that gives them. Real PostgreSQL and Redis (libs/testkit).
const h = useApiHarness({ keys: { admin: { account: 'A', role: 'admin' }, viewer: { account: 'A', role: 'viewer' }, other: { account: 'B', role: 'admin' } }, app: { docs: false }, instance: 'labels' });
const STACK = { 'tributary.dev/stack': 'payments' };
const base = () => `/v1/instances/${h.instanceId}`;
const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = {}, key = h.keys.admin) => h.call(method, url, { key, body, headers });

const kinds = [
  { kind: 'users', body: { name: 'svc', password: 'a long enough password', labels: STACK }, unlabelled: { name: 'other-svc', password: 'a long enough password' } },
  { kind: 'acls', body: { resourceType: 'TOPIC', resourceName: 'orders', principal: 'User:svc', operation: 'READ', labels: STACK }, unlabelled: { resourceType: 'TOPIC', resourceName: 'orders', principal: 'User:svc', operation: 'WRITE' } },
  { kind: 'client-quotas', body: { user: 'svc', producerByteRate: 1048576, labels: STACK }, unlabelled: { clientId: 'batch', consumerByteRate: 1048576 } },
  { kind: 'consumer-group-quotas', body: { group: 'billing', maxMembers: 4, labels: STACK }, unlabelled: { group: 'adhoc', maxMembers: 2 } },
] as const;

describe('labels on users, ACLs and quotas', () => {
  for (const { kind, body, unlabelled } of kinds) {
    it(`${kind}: created with labels, filtered by label, replaced by PATCH with If-Match, audited without an operation`, async () => {
      const created = await call('POST', `${base()}/${kind}`, body);
      expect(created.statusCode, created.body).toBe(202);
      const resource = created.json().resource as { id: string; etag: string; labels: Record<string, string> };
      expect(resource.labels).toEqual(STACK);
      const plain = await call('POST', `${base()}/${kind}`, unlabelled);
      expect(plain.statusCode, plain.body).toBe(202);
      expect(plain.json().resource.labels).toEqual({});

      const owned = await call('GET', `${base()}/${kind}?label=tributary.dev/stack=payments`);
      expect(owned.json().items.map((i: { id: string }) => i.id)).toEqual([resource.id]);
      expect((await call('GET', `${base()}/${kind}`)).json().items).toHaveLength(2);

      const operationsBefore = await h.store.db.operation.count({ where: { targetId: resource.id } });
      const relabelled = await call('PATCH', `${base()}/${kind}/${resource.id}`, { labels: { 'tributary.dev/stack': 'ledger', team: 'core' } }, { 'if-match': resource.etag });
      expect(relabelled.statusCode, relabelled.body).toBe(200);
      expect(relabelled.json().labels).toEqual({ 'tributary.dev/stack': 'ledger', team: 'core' });
      expect(relabelled.headers['etag']).toBe(relabelled.json().etag);
      expect(relabelled.json().etag).not.toBe(resource.etag);
      expect(await h.store.db.operation.count({ where: { targetId: resource.id } })).toBe(operationsBefore);
      const audit = await h.store.db.auditEvent.findMany({ where: { targetId: resource.id, action: { endsWith: '.relabel' } } });
      expect(audit).toHaveLength(1);
      expect((await call('GET', `${base()}/${kind}?label=tributary.dev/stack=payments`)).json().items).toEqual([]);

      const stale = await call('PATCH', `${base()}/${kind}/${resource.id}`, { labels: {} }, { 'if-match': resource.etag });
      expect(stale.statusCode).toBe(412);
      expect(stale.headers['content-type']).toContain('application/problem+json');
      const bad = await call('PATCH', `${base()}/${kind}/${resource.id}`, { labels: { 'Not A Key': 'x' } });
      expect(bad.statusCode).toBe(422);
      expect(bad.json().code).toBe('validation-failed');
      expect(bad.json().errors[0].path).toMatch(/^\/labels/);
      expect((await call('PATCH', `${base()}/${kind}/${resource.id}`, { labels: {} }, {}, h.keys.viewer)).statusCode).toBe(403);
      expect((await call('PATCH', `${base()}/${kind}/${resource.id}`, { labels: {} }, {}, h.keys.other)).statusCode).toBe(404);
      const cleared = await call('PATCH', `${base()}/${kind}/${resource.id}`, { labels: {} });
      expect(cleared.json().labels).toEqual({});
      expect((await call('GET', `${base()}/${kind}/${resource.id}`)).json().labels).toEqual({});
    });
  }

  it('a password rotation and a quota PUT without labels keep them; a quota PUT with labels replaces them', async () => {
    const user = (await call('POST', `${base()}/users`, { name: 'rotated', password: 'a long enough password', labels: STACK })).json().resource;
    expect((await call('PUT', `${base()}/users/rotated`, { password: 'another long password' }, { 'if-match': user.etag })).statusCode).toBe(202);
    expect((await call('GET', `${base()}/users/rotated`)).json().labels).toEqual(STACK);

    const quota = (await call('POST', `${base()}/client-quotas`, { user: 'rotated', consumerByteRate: 2048, labels: STACK })).json().resource;
    const kept = await call('PUT', `${base()}/client-quotas/${quota.id}`, { consumerByteRate: 4096 });
    expect(kept.statusCode, kept.body).toBe(202);
    expect(kept.json().resource).toMatchObject({ consumerByteRate: 4096, labels: STACK });
    const replaced = await call('PUT', `${base()}/client-quotas/${quota.id}`, { consumerByteRate: 4096, labels: { team: 'core' } });
    expect(replaced.json().resource.labels).toEqual({ team: 'core' });

    const group = (await call('POST', `${base()}/consumer-group-quotas`, { group: 'rotated', maxMembers: 3, labels: STACK })).json().resource;
    expect((await call('PUT', `${base()}/consumer-group-quotas/${group.id}`, { maxMembers: 5 })).json().resource).toMatchObject({ maxMembers: 5, labels: STACK });
    expect((await call('PUT', `${base()}/consumer-group-quotas/${group.id}`, { maxMembers: 5, labels: {} })).json().resource.labels).toEqual({});
  });
});
