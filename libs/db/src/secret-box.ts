import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Encryption at rest of the few columns that are password equivalents (today
 * `kafka_user.salted_password`: with it anyone can log in to the instance as that user). AES-256-GCM
 * with a key the deployment provides; the API seals on write, the operator opens on read, nothing
 * else touches the column.
 *
 * Sealed form: `sealed:v1:<key id>:<base64url(iv ‖ tag ‖ ciphertext)>`. The key id is a digest of
 * the key (not the key), so a value names the key that opens it. The column's name is the GCM
 * associated data: a value copied into another sealed column does not open.
 *
 * Keys come from the environment (`TRIBUTARY_SECRET_KEY`, or `TRIBUTARY_SECRET_KEY_FILE` for a
 * mounted Kubernetes Secret): 32 bytes as 64 hex digits or base64. Rotation: deploy with the new key
 * as `TRIBUTARY_SECRET_KEY` and the old one as `TRIBUTARY_SECRET_KEY_PREVIOUS` (or `…_PREVIOUS_FILE`);
 * values under either key open; the API re-seals every value under the current key on start
 * (apps/api secrets.ts) and logs how many; then drop the previous key.
 */
export class SecretBox {
  static readonly PREFIX = 'sealed:v1:';
  readonly #current: { id: string; key: Buffer };
  readonly #keys = new Map<string, Buffer>();

  constructor(current: Buffer, previous: Buffer[] = []) {
    for (const k of [current, ...previous]) if (k.length !== 32) throw new Error('a secret key is 32 bytes (64 hex digits or 44 base64 characters)');
    this.#current = { id: keyId(current), key: current };
    for (const k of [current, ...previous]) this.#keys.set(keyId(k), k);
  }

  /** A box with a fresh random key (tests, the local stack's first start). */
  static generate(): SecretBox { return new SecretBox(randomBytes(32)); }

  /** The deployment's keys, or null when none is configured. A malformed key is an error, not null. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): SecretBox | null {
    const current = readKey(env, 'TRIBUTARY_SECRET_KEY');
    if (!current) return null;
    const previous = readKey(env, 'TRIBUTARY_SECRET_KEY_PREVIOUS');
    return new SecretBox(current, previous ? [previous] : []);
  }

  /** The current key's identifier (safe to log). */
  get keyId(): string { return this.#current.id; }

  /**
   * A key for one purpose derived from the current key (HMAC-SHA-256 of the purpose): secrets the
   * deployment recomputes instead of storing, e.g. the API's per-principal SCRAM passwords. They
   * change when the key rotates; their users must tolerate that (the API re-provisions).
   */
  derive(purpose: string): Buffer {
    return createHmac('sha256', this.#current.key).update(`tributary-derive:${purpose}`).digest();
  }

  seal(plain: string, column: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#current.key, iv).setAAD(Buffer.from(column));
    const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${SecretBox.PREFIX}${this.#current.id}:${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url')}`;
  }

  /** The plain value. A value written before encryption existed (not sealed) is returned as it is. */
  open(value: string, column: string): string {
    if (!SecretBox.isSealed(value)) return value;
    const [id, data] = value.slice(SecretBox.PREFIX.length).split(':');
    const key = id ? this.#keys.get(id) : undefined;
    if (!key || !data) throw new Error(`${column} is sealed with key ${id ?? '?'}, which is neither the current nor the previous secret key`);
    const raw = Buffer.from(data, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12)).setAAD(Buffer.from(column));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }

  /** True when `value` is sealed with the current key (nothing to re-seal). */
  isCurrent(value: string): boolean { return value.startsWith(`${SecretBox.PREFIX}${this.#current.id}:`); }
  static isSealed(value: string): boolean { return value.startsWith(SecretBox.PREFIX); }
}

const keyId = (key: Buffer) => createHash('sha256').update('tributary secret key id\0').update(key).digest('hex').slice(0, 12);

function readKey(env: NodeJS.ProcessEnv, name: string): Buffer | null {
  const file = env[`${name}_FILE`];
  const text = (file ? readFileSync(file, 'utf8') : env[name])?.trim();
  if (!text) return null;
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) throw new Error(`${name}${file ? '_FILE' : ''} must hold 32 bytes as 64 hex digits or base64 (openssl rand -hex 32)`);
  return key;
}

/** The one sealed column today, named where it is sealed and opened. */
export const SEALED_COLUMNS = { kafkaUserSaltedPassword: 'kafka_user.salted_password' } as const;
