import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeKubeApiServer } from './fake-api-server.ts';
import { matchesSelector } from './selector.ts';

// The fake's own contract, over raw HTTP: what the runtime tests rely on it to refuse or report.
describe('FakeKubeApiServer over raw HTTP', () => {
  let server: FakeKubeApiServer;
  const headers = { authorization: 'Bearer test-token', 'content-type': 'application/json' };
  const cm = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { app: 'a' }, ...extra }, data: { k: 'v' } });
  const base = () => `${server.url}/api/v1/namespaces/ns/configmaps`;

  beforeEach(async () => {
    server = await new FakeKubeApiServer().start();
  });
  afterEach(async () => {
    await server.stop();
  });

  it('serves discovery for the groups it knows and 404s elsewhere', async () => {
    const apps = await (await fetch(`${server.url}/apis/apps/v1`, { headers })).json();
    expect(apps.resources.map((r: { name: string }) => r.name)).toEqual(['statefulsets']);
    const res = await fetch(`${server.url}/apis/batch/v1/namespaces/ns/jobs`, { headers });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 });
  });

  it('apply needs the apply content type and a field manager', async () => {
    const body = JSON.stringify(cm('a'));
    expect((await fetch(`${base()}/a?fieldManager=x`, { method: 'PATCH', headers, body })).status).toBe(415);
    const noManager = await fetch(`${base()}/a`, { method: 'PATCH', headers: { ...headers, 'content-type': 'application/apply-patch+yaml' }, body });
    expect(noManager.status).toBe(400);
    const ok = await fetch(`${base()}/a?fieldManager=x`, { method: 'PATCH', headers: { ...headers, 'content-type': 'application/apply-patch+yaml' }, body });
    expect(ok.status).toBe(200);
    expect((await ok.json()).metadata.uid).toBeTruthy();
  });

  it('PUT needs a resourceVersion; a mismatched body name or kind is a bad request', async () => {
    await fetch(base(), { method: 'POST', headers, body: JSON.stringify(cm('a')) });
    expect((await fetch(`${base()}/a`, { method: 'PUT', headers, body: JSON.stringify(cm('a')) })).status).toBe(422);
    expect((await fetch(`${base()}/b`, { method: 'PUT', headers, body: JSON.stringify(cm('a', { resourceVersion: '1' })) })).status).toBe(400);
    expect((await fetch(base(), { method: 'POST', headers, body: JSON.stringify({ ...cm('c'), kind: 'Secret' }) })).status).toBe(400);
    expect((await fetch(base(), { method: 'POST', headers, body: '{not json' })).status).toBe(400);
  });

  it('a schema-invalid object is refused with 422 and not stored', async () => {
    const bad = { ...cm('a'), data: { k: 5 } };
    const res = await fetch(base(), { method: 'POST', headers, body: JSON.stringify(bad) });
    expect(res.status).toBe(422);
    expect((await res.json()).reason).toBe('Invalid');
    expect(server.get('ConfigMap', 'ns', 'a')).toBeUndefined();
  });

  it('a watch with a resourceVersion does not replay existing objects; one without does', async () => {
    await fetch(base(), { method: 'POST', headers, body: JSON.stringify(cm('old')) });
    const read = async (query: string) => {
      const ctrl = new AbortController();
      const res = await fetch(`${base()}?watch=true&${query}`, { headers, signal: ctrl.signal });
      const reader = res.body!.getReader();
      await fetch(base(), { method: 'POST', headers, body: JSON.stringify(cm(`new-${query.length}`)) });
      const { value } = await reader.read();
      ctrl.abort();
      return new TextDecoder().decode(value).trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string } } });
    };
    const replay = await read('labelSelector=app%3Da');
    expect(replay[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'old' } } });
    const fromNow = await read('resourceVersion=1&labelSelector=app%3Da');
    expect(fromNow.map((e) => e.object.metadata.name)).not.toContain('old');
    expect(fromNow[0]?.type).toBe('ADDED');
  });

  it('matches equality-based label selectors', () => {
    const labels = { a: '1', b: '2' };
    expect(matchesSelector(labels, undefined)).toBe(true);
    expect(matchesSelector(labels, 'a=1,b==2')).toBe(true);
    expect(matchesSelector(labels, 'a=1,b=3')).toBe(false);
    expect(matchesSelector(labels, 'a!=2')).toBe(true);
    expect(matchesSelector(labels, 'a!=1')).toBe(false);
    expect(matchesSelector(labels, 'a')).toBe(true);
    expect(matchesSelector(labels, '!c')).toBe(true);
    expect(matchesSelector(labels, '!a')).toBe(false);
  });
});
