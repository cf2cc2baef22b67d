import { describe, expect, it } from 'vitest';
import { can, clearSession, loadSession, probeRole, saveSession, type KeyValueStore } from './session.ts';

/**
 * What apps/api answers each role for the three probes (plugins/auth.ts `allowed`; an empty instance
 * body fails validation with 422 once auth lets it through). test/console checks the real API.
 */
const ANSWERS: Record<string, Record<string, number>> = {
  admin: { 'GET /v1/api-keys?limit=1': 200, 'GET /v1/operations?limit=1': 200, 'POST /v1/instances': 422 },
  operator: { 'GET /v1/api-keys?limit=1': 403, 'GET /v1/operations?limit=1': 200, 'POST /v1/instances': 422 },
  viewer: { 'GET /v1/api-keys?limit=1': 403, 'GET /v1/operations?limit=1': 200, 'POST /v1/instances': 403 },
  billing: { 'GET /v1/api-keys?limit=1': 403, 'GET /v1/operations?limit=1': 403, 'POST /v1/instances': 403 },
};

function memory(): KeyValueStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v), removeItem: (k) => void data.delete(k) };
}

describe('session', () => {
  it('learns each role from what the key may read', async () => {
    for (const [role, answers] of Object.entries(ANSWERS)) {
      const asked: string[] = [];
      expect(await probeRole(async (m, p, body) => {
        asked.push(`${m} ${p}`);
        if (m === 'POST') expect(body).toEqual({}); // never a body that could create something
        return answers[`${m} ${p}`]!;
      })).toBe(role);
      expect(asked.length).toBeLessThanOrEqual(3);
    }
  });

  it('an unknown key is unauthenticated, and an unexpected answer is an error, never a guessed role', async () => {
    expect(await probeRole(async () => 401)).toBe('unauthenticated');
    await expect(probeRole(async () => 500)).rejects.toThrow(/HTTP 500/);
    await expect(probeRole(async (_m, p) => (p.startsWith('/v1/api-keys') ? 403 : 429))).rejects.toThrow(/HTTP 429/);
    await expect(probeRole(async (m, p) => (m === 'POST' ? 202 : p.startsWith('/v1/api-keys') ? 403 : 200))).rejects.toThrow(/HTTP 202/);
  });

  it('keeps the session in the given storage and forgets it on sign-out', () => {
    const store = memory();
    expect(loadSession(store)).toBeNull();
    saveSession(store, { key: 'trb_x_y', role: 'viewer', accountId: 'acc-1', accountName: 'Team' });
    expect(loadSession(store)).toEqual({ key: 'trb_x_y', role: 'viewer', accountId: 'acc-1', accountName: 'Team' });
    clearSession(store);
    expect(loadSession(store)).toBeNull();
    expect(store.data.size).toBe(0);
  });

  it('ignores a stored session that is corrupt or names no known role', () => {
    const store = memory();
    store.setItem('tributary.session', '{not json');
    expect(loadSession(store)).toBeNull();
    store.setItem('tributary.session', JSON.stringify({ key: 'k', role: 'root' }));
    expect(loadSession(store)).toBeNull();
  });

  it('only admins and operators see mutating actions; only admins manage keys', () => {
    expect(['admin', 'operator', 'viewer', 'billing'].filter((r) => can.mutate(r as never))).toEqual(['admin', 'operator']);
    expect(['admin', 'operator', 'viewer', 'billing'].filter((r) => can.manageKeys(r as never))).toEqual(['admin']);
    expect(['admin', 'operator', 'viewer', 'billing'].filter((r) => can.readBilling(r as never))).toEqual(['admin', 'billing']);
    expect(can.readInstanceContents('billing')).toBe(false);
  });
});
