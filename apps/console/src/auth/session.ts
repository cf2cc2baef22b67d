/**
 * The signed-in API key lives in sessionStorage: it survives reloads of this tab and is gone when the
 * tab or browser closes; sign-out removes it. Never localStorage (shared by every tab, kept forever).
 */
export type Role = 'admin' | 'operator' | 'viewer' | 'billing';
export interface Session { key: string; role: Role; accountId: string | null; accountName: string | null }

const STORAGE_KEY = 'tributary.session';

export interface KeyValueStore { getItem(k: string): string | null; setItem(k: string, v: string): void; removeItem(k: string): void }

export function loadSession(store: KeyValueStore): Session | null {
  const raw = store.getItem(STORAGE_KEY);
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as Partial<Session>;
    if (typeof s.key !== 'string' || !isRole(s.role)) return null;
    return { key: s.key, role: s.role, accountId: s.accountId ?? null, accountName: s.accountName ?? null };
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

/**
 * The API has no "who am I" call, so the role is learnt from what the key may do, one request at a
 * time (apps/api plugins/auth.ts `allowed()`, which runs before any validation): only admins list
 * API keys; billing keys cannot list operations; operators and viewers read the same things, so the
 * last probe is a write with an empty body that can never succeed — a viewer is refused (403), an
 * operator's request reaches validation (422) and nothing is created.
 * `status(method, path, body?)` performs the request with the key and returns the HTTP status.
 */
export type StatusProbe = (method: 'GET' | 'POST', path: string, body?: object) => Promise<number>;
export async function probeRole(status: StatusProbe): Promise<Role | 'unauthenticated'> {
  const keys = await status('GET', '/v1/api-keys?limit=1');
  if (keys === 401) return 'unauthenticated';
  if (keys === 200) return 'admin';
  expectStatus(keys, [403], '/v1/api-keys');
  const ops = await status('GET', '/v1/operations?limit=1');
  if (ops === 401) return 'unauthenticated';
  if (ops === 403) return 'billing';
  expectStatus(ops, [200], '/v1/operations');
  const write = await status('POST', '/v1/instances', {});
  if (write === 403) return 'viewer';
  expectStatus(write, [422], 'POST /v1/instances');
  return 'operator';
}
function expectStatus(s: number, expected: number[], what: string) {
  if (!expected.includes(s)) throw new Error(`unexpected HTTP ${s} from ${what} while checking the key`);
}
