/**
 * The signed-in API key lives in sessionStorage: it survives reloads of this tab and is gone when the
 * tab or browser closes; sign-out removes it. Never localStorage (shared by every tab, kept forever).
 */
export type Role = 'admin' | 'operator' | 'viewer' | 'billing';
export interface Session { key: string; role: Role; accountId: string | null; accountName: string | null; kafkaPrincipal?: string | null }

const STORAGE_KEY = 'tributary.session';

export interface KeyValueStore { getItem(k: string): string | null; setItem(k: string, v: string): void; removeItem(k: string): void }

export function loadSession(store: KeyValueStore): Session | null {
  const raw = store.getItem(STORAGE_KEY);
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as Partial<Session>;
    if (typeof s.key !== 'string' || !isRole(s.role)) return null;
    return { key: s.key, role: s.role, accountId: s.accountId ?? null, accountName: s.accountName ?? null, kafkaPrincipal: s.kafkaPrincipal ?? null };
  } catch {
    return null;
  }
}
export const saveSession = (store: KeyValueStore, s: Session) => store.setItem(STORAGE_KEY, JSON.stringify(s));
export const clearSession = (store: KeyValueStore) => store.removeItem(STORAGE_KEY);

const isRole = (r: unknown): r is Role => r === 'admin' || r === 'operator' || r === 'viewer' || r === 'billing';

/** What a key may do, as the console shows it (the API enforces the same rules: apps/api plugins/auth.ts). */
export const can = {
  /** create, change or delete instances, topics, users, ACLs, quotas; reset offsets */
  mutate: (role: Role) => role === 'admin' || role === 'operator',
  /** list, mint and revoke API keys */
  manageKeys: (role: Role) => role === 'admin',
  /** read usage and invoices (the price book is open to every role) */
  readBilling: (role: Role) => role === 'admin' || role === 'billing',
  /** read what lives inside an instance (topics, groups, users, ACLs, operations) */
  readInstanceContents: (role: Role) => role !== 'billing',
};

/** GET /v1/me's answer, as far as the session needs it. */
export interface MeAnswer { key: { role: string }; account: { id: string; name: string }; kafkaPrincipal: string }

/**
 * The session for a key from GET /v1/me (the API says the key's role and account; the console
 * learnt them by probing what the key may do before the API had the call). A role this console does
 * not know is an error, never a guess.
 */
export function sessionFromMe(key: string, me: MeAnswer): Session {
  if (!isRole(me.key.role)) throw new Error(`the API names a role this console does not know: ${me.key.role}`);
  return { key, role: me.key.role, accountId: me.account.id, accountName: me.account.name, kafkaPrincipal: me.kafkaPrincipal };
}
