import { generateApiKey, hashApiKey } from './plugins/auth.ts';
import type { PrismaStore } from './store/prisma-store.ts';

export const BOOTSTRAP_ACCOUNT_ID = 'acc-bootstrap';

/**
 * The first admin key: TRIBUTARY_BOOTSTRAP_KEY when set (inserted if missing, so a fixed key works
 * across restarts), otherwise generated once when no key exists and returned for printing. Only its
 * hash is stored, so a lost generated key cannot be shown again.
 */
export async function ensureBootstrapKey(store: PrismaStore, fromEnv: string | undefined): Promise<string | null> {
  await store.createAccount('bootstrap', null, BOOTSTRAP_ACCOUNT_ID);
  if (fromEnv) {
    if (fromEnv.length < 24) throw new Error('TRIBUTARY_BOOTSTRAP_KEY must be at least 24 characters');
    await store.createApiKey(BOOTSTRAP_ACCOUNT_ID, 'bootstrap', 'admin', fromEnv.slice(0, 8), hashApiKey(fromEnv));
    return null;
  }
  if ((await store.countApiKeys()) > 0) return null;
  const k = generateApiKey();
  await store.createApiKey(BOOTSTRAP_ACCOUNT_ID, 'bootstrap', 'admin', k.prefix, k.hash);
  return k.key;
}
