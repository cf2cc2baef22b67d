import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScramCredential, ScramMechanismName } from '@tributary/protocol';

/**
 * Where SCRAM credentials live. The file-backed store suits a standalone broker; a cluster keeps
 * them in etcd (cluster/etcd-stores.ts) so that every broker verifies the same users.
 */
export interface CredentialStore {
  get(user: string, mechanism: ScramMechanismName): ScramCredential | null;
  /** Mechanisms and iterations per user (never the keys), for DescribeUserScramCredentials. */
  describe(user: string): { mechanism: ScramMechanismName; iterations: number }[];
  users(): string[];
  upsert(user: string, mechanism: ScramMechanismName, credential: ScramCredential): void | Promise<void>;
  /** Returns false when the user had no credential for that mechanism. */
  delete(user: string, mechanism: ScramMechanismName): boolean | Promise<boolean>;
}

type Stored = Record<string, Partial<Record<ScramMechanismName, { salt: string; storedKey: string; serverKey: string; iterations: number }>>>;

/** Credentials in `<data dir>/scram-credentials.json` (mode 0600), rewritten atomically on change. */
export class FileCredentialStore implements CredentialStore {
  readonly #file: string;
  #data: Stored;

  constructor(dataDir: string) {
    this.#file = join(dataDir, 'scram-credentials.json');
    this.#data = existsSync(this.#file) ? (JSON.parse(readFileSync(this.#file, 'utf8')) as Stored) : {};
  }

  get(user: string, mechanism: ScramMechanismName): ScramCredential | null {
    const c = this.#data[user]?.[mechanism];
    return c ? { salt: Buffer.from(c.salt, 'base64'), storedKey: Buffer.from(c.storedKey, 'base64'), serverKey: Buffer.from(c.serverKey, 'base64'), iterations: c.iterations } : null;
  }

  describe(user: string): { mechanism: ScramMechanismName; iterations: number }[] {
    return Object.entries(this.#data[user] ?? {}).map(([mechanism, c]) => ({ mechanism: mechanism as ScramMechanismName, iterations: c!.iterations }));
  }

  users(): string[] {
    return Object.keys(this.#data).filter((u) => Object.keys(this.#data[u]!).length > 0).sort();
  }

  upsert(user: string, mechanism: ScramMechanismName, c: ScramCredential): void {
    this.#data[user] = { ...this.#data[user], [mechanism]: { salt: c.salt.toString('base64'), storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64'), iterations: c.iterations } };
    this.#persist();
  }

  delete(user: string, mechanism: ScramMechanismName): boolean {
    if (!this.#data[user]?.[mechanism]) return false;
    delete this.#data[user][mechanism];
    if (Object.keys(this.#data[user]).length === 0) delete this.#data[user];
    this.#persist();
    return true;
  }

  #persist(): void {
    writeFileSync(`${this.#file}.tmp`, JSON.stringify(this.#data), { mode: 0o600 });
    renameSync(`${this.#file}.tmp`, this.#file);
  }
}
