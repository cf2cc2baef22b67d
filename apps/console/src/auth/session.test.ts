import { describe, expect, it } from 'vitest';
import { actOn, can, clearSession, currentAccount, loadSession, saveSession, sessionFromMe, type KeyValueStore } from './session.ts';

function memory(): KeyValueStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v), removeItem: (k) => void data.delete(k) };
}

describe('session', () => {
  it('takes the role, account and Kafka principal from GET /v1/me, and refuses a role it does not know', () => {
    const me = { key: { role: 'operator' }, account: { id: 'acc-1', name: 'Payments' }, kafkaPrincipal: 'User:tributary-api.key-1' };
    expect(sessionFromMe('trb_x', me)).toEqual({ key: 'trb_x', role: 'operator', accountId: 'acc-1', accountName: 'Payments', kafkaPrincipal: 'User:tributary-api.key-1', platformAdmin: false, acting: null });
    expect(() => sessionFromMe('trb_x', { ...me, key: { role: 'superuser' } })).toThrow(/superuser/);
  });

  it('keeps the session in the given storage and forgets it on sign-out', () => {
    const store = memory();
    expect(loadSession(store)).toBeNull();
    saveSession(store, { key: 'trb_x_y', role: 'viewer', accountId: 'acc-1', accountName: 'Team' });
    expect(loadSession(store)).toEqual({ key: 'trb_x_y', role: 'viewer', accountId: 'acc-1', accountName: 'Team', kafkaPrincipal: null, platformAdmin: false, acting: null });
    clearSession(store);
    expect(loadSession(store)).toBeNull();
    expect(store.data.size).toBe(0);
  });

  it('lets a platform admin act on another account and back; nobody else, even from a tampered store', () => {
    const me = { key: { role: 'admin' }, account: { id: 'acc-bootstrap', name: 'bootstrap' }, kafkaPrincipal: 'User:tributary-api.key-1', platformAdmin: true };
    const platform = sessionFromMe('trb_p', me);
    const acting = actOn(platform, { id: 'acc-2', name: 'Acme' });
    expect(acting.acting).toEqual({ id: 'acc-2', name: 'Acme' });
    expect(currentAccount(acting)).toEqual({ id: 'acc-2', name: 'Acme' });
    // Choosing its own account again, or none, ends acting.
    expect(actOn(acting, { id: 'acc-bootstrap', name: 'bootstrap' }).acting).toBeNull();
    expect(currentAccount(actOn(acting, null))).toEqual({ id: 'acc-bootstrap', name: 'bootstrap' });
    const store = memory();
    saveSession(store, acting);
    expect(loadSession(store)?.acting).toEqual({ id: 'acc-2', name: 'Acme' });

    const tenant = sessionFromMe('trb_t', { ...me, account: { id: 'acc-2', name: 'Acme' }, platformAdmin: false });
    expect(actOn(tenant, { id: 'acc-3', name: 'Other' })).toBe(tenant);
    saveSession(store, { ...tenant, acting: { id: 'acc-3', name: 'Other' } });
    expect(loadSession(store)?.acting).toBeNull();
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
