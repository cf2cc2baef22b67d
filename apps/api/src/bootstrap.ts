import { randomBytes } from 'node:crypto';
import { BOOTSTRAP_ACCOUNT_ID, generateApiKey, hashApiKey } from './plugins/auth.ts';
import type { PrismaStore } from './store/prisma-store.ts';

export { BOOTSTRAP_ACCOUNT_ID };

/**
 * The prefix shown for a key given from outside: its own `trb_<prefix>_` part when it has that form,
 * otherwise a random identifier — never characters of the secret.
 */
export function prefixOf(key: string): string {
  return /^trb_([0-9a-f]{8,12})_/.exec(key)?.[1] ?? randomBytes(6).toString('hex');
}

/**
 * The first admin key: TRIBUTARY_BOOTSTRAP_KEY when set (inserted if missing, so a fixed key works
 * across restarts), otherwise generated once when no key exists and returned for printing. Only its
 * hash is stored, so a lost generated key cannot be shown again.
 */
export async function ensureBootstrapKey(store: PrismaStore, fromEnv: string | undefined): Promise<string | null> {
  await store.createAccount('bootstrap', null, BOOTSTRAP_ACCOUNT_ID);
  if (fromEnv) {
    if (fromEnv.length < 24) throw new Error('TRIBUTARY_BOOTSTRAP_KEY must be at least 24 characters');
    await store.createApiKey(BOOTSTRAP_ACCOUNT_ID, 'bootstrap', 'admin', prefixOf(fromEnv), hashApiKey(fromEnv));
    return null;
  }
  if ((await store.countApiKeys()) > 0) return null;
  const k = generateApiKey();
  await store.createApiKey(BOOTSTRAP_ACCOUNT_ID, 'bootstrap', 'admin', k.prefix, k.hash);
  return k.key;
}
