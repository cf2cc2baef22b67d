import { describe, expect, it } from 'vitest';
import { SMALL_SPEC as spec, useApiHarness, type Method } from './testing/api-harness.ts';

/**
 * The shared input layer (plugins/input.ts, libs/contracts text.ts, the error handler): inputs that
 * used to reach PostgreSQL or fastify's own error JSON are refused as problem+json with a field path.
 */
const h = useApiHarness({ keys: { admin: { account: 'A', role: 'admin' } }, redis: true, app: { docs: false }, instance: 'inputs' });
const inject = (method: Method, url: string, opts: { payload?: string | object; headers?: Record<string, string> } = {}) =>
  h.call(method, url, { body: opts.payload, ...(opts.headers ? { headers: opts.headers } : {}) });
function expectProblem(r: Awaited<ReturnType<typeof inject>>, status: number, code: string) {
  expect(r.statusCode, r.body).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(r.json()).toMatchObject({ status, code });
  return r.json() as { errors?: { in: string; path: string }[] };
}

describe('strings PostgreSQL cannot store', () => {
  it('NUL in a path id, a query filter, a body string or a body key is a 422 naming where', async () => {
    expect(expectProblem(await inject('GET', '/v1/instances/%00'), 422, 'validation-failed').errors).toEqual([expect.objectContaining({ in: 'params', path: '/id' })]);
    expect(expectProblem(await inject('GET', `/v1/instances/${h.instanceId}/topics/a%00b`), 422, 'validation-failed').errors).toEqual([expect.objectContaining({ in: 'params', path: '/name' })]);
    expect(expectProblem(await inject('GET', '/v1/instances?name=%00'), 422, 'validation-failed').errors).toEqual([expect.objectContaining({ in: 'query', path: '/name' })]);
    expect(expectProblem(await inject('GET', '/v1/operations/op%00'), 422, 'validation-failed').errors?.[0]).toMatchObject({ in: 'params' });
    const acl = { resourceType: 'TOPIC', resourceName: 'orders\u0000', principal: 'User:alice', operation: 'READ' };
    expect(expectProblem(await inject('POST', `/v1/instances/${h.instanceId}/acls`, { payload: acl }), 422, 'validation-failed').errors).toEqual([expect.objectContaining({ in: 'body', path: '/resourceName' })]);
    expect(expectProblem(await inject('POST', '/v1/api-keys', { payload: { name: 'ci\u0000', role: 'viewer' } }), 422, 'validation-failed').errors).toEqual([expect.objectContaining({ in: 'body', path: '/name' })]);
    const labelled = { name: 'labelled', labels: { 'te\u0000am': 'x' }, spec };
    expect(expectProblem(await inject('POST', '/v1/instances', { payload: labelled }), 422, 'validation-failed').errors).toEqual([expect.objectContaining({ in: 'body', path: '/labels' })]);
  });
  it('a lone UTF-16 surrogate in a JSON string is a 422 (it has no UTF-8 encoding)', async () => {
    const raw = `{"name":"orders","partitions":1,"replicationFactor":1,"labels":{"team":"\\ud800"}}`;
    const r = await inject('POST', `/v1/instances/${h.instanceId}/topics`, { payload: raw, headers: { 'content-type': 'application/json' } });
    expect(expectProblem(r, 422, 'validation-failed').errors).toEqual([expect.objectContaining({ in: 'body', path: '/labels/team', message: expect.stringContaining('surrogate') })]);
    const paired = raw.replace('\\ud800', '\\ud83d\\ude00'); // a proper pair (an emoji) is fine
    expect((await inject('POST', `/v1/instances/${h.instanceId}/topics`, { payload: paired, headers: { 'content-type': 'application/json' } })).statusCode).toBe(202);
  });
});

describe('cursors, ETags and numbers', () => {
  it('a cursor that decodes to a date PostgreSQL cannot store is a 422 at /cursor on every list', async () => {
    const year0 = Buffer.from(JSON.stringify(['0000-01-01T00:00:00.000Z', 'x'])).toString('base64url');
    const hugeId = Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', '99999999999999999999999'])).toString('base64url');
    expect(year0).toBe('WyIwMDAwLTAxLTAxVDAwOjAwOjAwLjAwMFoiLCJ4Il0'); // the one from issue 14
    const lists = ['/v1/instances', `/v1/instances/${h.instanceId}/topics`, `/v1/instances/${h.instanceId}/users`, `/v1/instances/${h.instanceId}/acls`,
      `/v1/instances/${h.instanceId}/client-quotas`, `/v1/instances/${h.instanceId}/consumer-group-quotas`, '/v1/accounts', '/v1/api-keys',
      '/v1/billing/usage', '/v1/billing/invoices', '/v1/operations'];
    for (const list of lists) {
      for (const cursor of [year0, hugeId, 'not-base64!', Buffer.from('{}').toString('base64url')]) {
        const body = expectProblem(await inject('GET', `${list}?cursor=${cursor}`), 422, 'validation-failed');
        expect(body.errors, `${list} ${cursor}`).toEqual([expect.objectContaining({ in: 'query', path: '/cursor' })]);
      }
    }
    const year0Filter = await inject('GET', '/v1/billing/usage?from=0000-01-01T00:00:00Z');
    expect(expectProblem(year0Filter, 422, 'validation-failed').errors).toEqual([expect.objectContaining({ in: 'query', path: '/from' })]);
  });
  it('an If-Match version beyond 64 bits does not match (412), it does not reach the database', async () => {
    for (const etag of [`"${h.instanceId}.99999999999999999999999"`, `"${h.instanceId}.18446744073709551616"`, `"${h.instanceId}.4294967296"`]) {
      const r = await inject('PUT', `/v1/instances/${h.instanceId}`, { payload: { spec }, headers: { 'if-match': etag } });
      expectProblem(r, 412, 'precondition-failed');
    }
  });
  it('"retention.ms":"1.5" is a 422 with the field path, not a BigInt error', async () => {
    for (const value of ['1.5', '1e3', '99999999999999999999', '9223372036854775808', ' 1']) {
      const r = await inject('POST', `/v1/instances/${h.instanceId}/topics`, { payload: { name: 'retention', partitions: 1, replicationFactor: 1, configs: { 'retention.ms': value } } });
      expect(expectProblem(r, 422, 'validation-failed').errors, value).toEqual([expect.objectContaining({ in: 'body', path: '/configs/retention.ms' })]);
    }
    const max = await inject('POST', `/v1/instances/${h.instanceId}/topics`, { payload: { name: 'retention', partitions: 1, replicationFactor: 1, configs: { 'retention.ms': '9223372036854775807' } } });
    expect(max.statusCode, max.body).toBe(202);
  });
});

describe('URLs and bodies', () => {
  it('a malformed escape and an over-long path parameter are problem+json, not fastify\'s JSON', async () => {
    const bad = await inject('GET', '/v1/instances/%ZZ');
    expectProblem(bad, 400, 'malformed-request');
    const long = await inject('GET', `/v1/instances/${'a'.repeat(600)}`);
    expectProblem(long, 414, 'uri-too-long');
    // Up to the router's limit a long id is an ordinary field error.
    expect(expectProblem(await inject('GET', `/v1/instances/${'a'.repeat(300)}`), 422, 'validation-failed').errors).toEqual([expect.objectContaining({ in: 'params', path: '/id' })]);
  });
  it('percent-encoded unreserved characters are normalised before routing (RFC 3986 §6.2.2)', async () => {
    const r = await inject('GET', `/%76%31/instances/${h.instanceId.replace('i', '%69')}`);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().id).toBe(h.instanceId);
  });
  it('Content-Type: application/json on a DELETE without a body is accepted', async () => {
    const made = await inject('POST', `/v1/instances/${h.instanceId}/acls`, { payload: { resourceType: 'TOPIC', resourceName: 'x', principal: 'User:bob', operation: 'READ' } });
    expect(made.statusCode, made.body).toBe(202);
    const r = await inject('DELETE', `/v1/instances/${h.instanceId}/acls/${made.json().resource.id}`, { headers: { 'content-type': 'application/json' } });
    expect(r.statusCode, r.body).toBe(202);
    // A POST that needs a body and sends none gets a field error, not a parse error.
    expectProblem(await inject('POST', '/v1/instances', { headers: { 'content-type': 'application/json' } }), 422, 'validation-failed');
    expectProblem(await inject('POST', '/v1/instances', { payload: '{"name":', headers: { 'content-type': 'application/json' } }), 400, 'malformed-request');
  });
});
