import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMALL_SPEC, until, useApiHarness } from '../../apps/api/src/testing/api-harness.ts';
import { DesiredStateStore } from '../../apps/operator/src/store/desired-state-store.ts';
import type { InstanceStatus } from '../../apps/operator/src/reconcile/desired-instance.ts';

/**
 * ETags across the two owners (issue 14): a resource's ETag is its row's version plus a digest of the
 * status the operator reports in its own tables (apps/api http.ts), so a status write changes the
 * ETag — and If-None-Match answers 304 only while nothing a client would see has changed — while
 * If-Match still guards only what the client wrote. The operator here is the real one's store
 * (DesiredStateStore), on its own connection.
 */
const h = useApiHarness({ keys: { admin: { account: 'A', role: 'admin' } }, app: { docs: false, outboxDrainer: false }, instance: 'tagged' });
let operator: DesiredStateStore;
beforeAll(() => { operator = new DesiredStateStore(h.services.databaseUrl); });
afterAll(async () => { await operator?.close(); });

const status = (phase: InstanceStatus['phase'], observedGeneration: number): InstanceStatus => ({
  phase, observedGeneration, internalBootstrapServers: phase === 'Running' ? ['127.0.0.1:9091'] : [], clientBootstrapServers: phase === 'Running' ? ['127.0.0.1:9092'] : [], brokers: [], conditions: [], events: [],
});
const get = (url: string, headers: Record<string, string> = {}) => h.call('GET', url, { headers });
describe('If-None-Match', () => {
  it('answers 304 with no body for the current ETag (exact, weak, in a list, or *) on every GET of one resource; 200 otherwise', async () => {
    const base = `/v1/instances/${h.instanceId}`;
    expect((await h.call('POST', `${base}/topics`, { body: { name: 'orders', partitions: 1, replicationFactor: 1 } })).statusCode).toBe(202);
    const acl = { resourceType: 'TOPIC', resourceName: 'orders', principal: 'User:svc', operation: 'READ' };
    const madeAcl = await h.call('POST', `${base}/acls`, { body: acl });
    expect(madeAcl.statusCode, madeAcl.body).toBe(202);
    for (const url of [base, `${base}/topics/orders`, `${base}/acls/${madeAcl.json().resource.id}`]) {
      const first = await get(url);
      expect(first.statusCode, url).toBe(200);
      const etag = first.headers['etag'] as string;
      expect(etag, url).toMatch(/^"[^"]+"$/);
      for (const tag of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
        const r = await get(url, { 'if-none-match': tag });
        expect(r.statusCode, `${url} If-None-Match: ${tag}`).toBe(304);
        expect(r.body).toBe('');
        expect(r.headers['etag']).toBe(etag);
      }
      const other = await get(url, { 'if-none-match': '"someone-else.1"' });
      expect(other.statusCode, url).toBe(200);
      expect(other.json().etag ?? other.headers['etag']).toBe(etag);
    }
  });
});

describe('ETags follow the status the operator writes', () => {
  it("an instance's ETag changes with each status write; If-None-Match then answers 200 with the new status; If-Match still accepts the old tag", async () => {
    const url = `/v1/instances/${h.instanceId}`;
    const before = (await get(url)).json();
    expect(before.status.phase).toBe('Creating');

    await operator.load(h.instanceId);
    await operator.saveStatus(h.instanceId, status('Running', before.generation));
    // The API's instance cache drops the row when PostgreSQL notifies the status write: bounded wait.
    let running = before.etag as string;
    await until(async () => (running = (await get(url)).headers['etag'] as string) !== before.etag, 'the status write to change the ETag', 15_000);
    const seen = await get(url, { 'if-none-match': before.etag });
    expect(seen.statusCode).toBe(200);
    expect(seen.json()).toMatchObject({ etag: running, status: { phase: 'Running', observedGeneration: before.generation, bootstrapServers: '127.0.0.1:9092' } });
    expect((await get(url, { 'if-none-match': running })).statusCode).toBe(304);

    // The operator's progress does not make a client's write stale: the tag read before it still matches.
    const put = await h.call('PUT', url, { body: { labels: { v: '2' }, spec: { ...SMALL_SPEC, brokers: 3 } }, headers: { 'if-match': before.etag } });
    expect(put.statusCode, put.body).toBe(202);
    expect(put.json().resource.status.phase).toBe('Updating'); // the operator has not observed generation 2 yet
    // The client's own write does: the row's version moved on.
    const stale = await h.call('PUT', url, { body: { labels: { v: '3' }, spec: { ...SMALL_SPEC, brokers: 3 } }, headers: { 'if-match': running } });
    expect(stale.statusCode).toBe(412);
  });

  it("a topic's ETag changes when the operator reports it Ready", async () => {
    const instance = await h.call('POST', '/v1/instances', { body: { name: 'topics-tagged', spec: SMALL_SPEC } });
    expect(instance.statusCode, instance.body).toBe(202);
    const id = instance.json().resource.id as string;
    const created = await h.call('POST', `/v1/instances/${id}/topics`, { body: { name: 'audited', partitions: 1, replicationFactor: 1 } });
    expect(created.statusCode, created.body).toBe(202);
    const url = `/v1/instances/${id}/topics/audited`;
    const before = await get(url);
    expect(before.json().status.phase).toBe('Creating');
    await operator.load(id);
    await operator.saveStatus(id, status('Running', 1));
    const after = await get(url, { 'if-none-match': before.headers['etag'] as string });
    expect(after.statusCode).toBe(200);
    expect(after.json().status).toEqual({ phase: 'Ready', observedGeneration: 1 });
    expect(after.headers['etag']).not.toBe(before.headers['etag']);
    expect((await get(url, { 'if-none-match': after.headers['etag'] as string })).statusCode).toBe(304);
  });
});
