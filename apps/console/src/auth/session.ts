/**
 * The signed-in API key lives in sessionStorage: it survives reloads of this tab and is gone when the
 * tab or browser closes; sign-out removes it. Never localStorage (shared by every tab, kept forever).
 */
export type Role = 'admin' | 'operator' | 'viewer' | 'billing';
export interface Account { id: string; name: string }
export interface Session {
  key: string; role: Role; accountId: string | null; accountName: string | null; kafkaPrincipal?: string | null;
  /** An admin key of the platform account: it may act on any account (the account picker). */
  platformAdmin?: boolean;
  /** The account a platform admin acts on (every call sends Tributary-Account); absent: the key's own. */
  acting?: Account | null;
}

const STORAGE_KEY = 'tributary.session';

export interface KeyValueStore { getItem(k: string): string | null; setItem(k: string, v: string): void; removeItem(k: string): void }

export function loadSession(store: KeyValueStore): Session | null {
  const raw = store.getItem(STORAGE_KEY);
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as Partial<Session>;
    if (typeof s.key !== 'string' || !isRole(s.role)) return null;
    const platformAdmin = s.platformAdmin === true;
    // Only a platform admin acts on another account (the API refuses anyone else the header).
    const acting = platformAdmin && isAccount(s.acting) ? { id: s.acting.id, name: s.acting.name } : null;
    return { key: s.key, role: s.role, accountId: s.accountId ?? null, accountName: s.accountName ?? null, kafkaPrincipal: s.kafkaPrincipal ?? null, platformAdmin, acting };
  } catch {
    return null;
  }
}
export const saveSession = (store: KeyValueStore, s: Session) => store.setItem(STORAGE_KEY, JSON.stringify(s));
export const clearSession = (store: KeyValueStore) => store.removeItem(STORAGE_KEY);

const isAccount = (a: unknown): a is Account => typeof a === 'object' && a !== null && typeof (a as Account).id === 'string' && typeof (a as Account).name === 'string';
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
export interface MeAnswer { key: { role: string }; account: Account; kafkaPrincipal: string; platformAdmin?: boolean }

/**
 * The session for a key from GET /v1/me (the API says the key's role and account; the console
 * learnt them by probing what the key may do before the API had the call). A role this console does
 * not know is an error, never a guess.
 */
export function sessionFromMe(key: string, me: MeAnswer): Session {
  if (!isRole(me.key.role)) throw new Error(`the API names a role this console does not know: ${me.key.role}`);
  return { key, role: me.key.role, accountId: me.account.id, accountName: me.account.name, kafkaPrincipal: me.kafkaPrincipal, platformAdmin: me.platformAdmin === true, acting: null };
}

/**
 * The session acting on `account` (null: the key's own again). Returns the session unchanged for a
 * key that is not a platform admin's: the console never sends the header for anyone else.
 */
export function actOn(s: Session, account: Account | null): Session {
  if (!s.platformAdmin) return s;
  return { ...s, acting: account && account.id !== s.accountId ? { id: account.id, name: account.name } : null };
}

/** The account the console shows and every call is scoped to. */
export function currentAccount(s: Session): Account | null {
  return s.acting ?? (s.accountId ? { id: s.accountId, name: s.accountName ?? s.accountId } : null);
}
