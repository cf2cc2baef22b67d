import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecretBox } from '@tributary/db';
import { ensureBootstrapKey, prefixOf } from './bootstrap.ts';
import { generateApiKey } from './plugins/auth.ts';
import { scramCredential } from './scram.ts';
import { resealSecrets, secretBoxFromEnv } from './secrets.ts';
import { useApiHarness } from './testing/api-harness.ts';

/**
 * Issue 14, secrets: no secret at rest (the database is scanned after the flows), none replayed,
 * password equivalents sealed with the deployment's key, rotation re-seals, key prefixes are not
 * pieces of keys.
 */
const keyBytes = randomBytes(32);
const secrets = new SecretBox(keyBytes);
const h = useApiHarness({ keys: { admin: { account: 'A', role: 'admin' } }, secrets, app: { docs: false }, instance: 'secrets' });
const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object, headers: Record<string, string> = {}) => h.call(method, url, { body: payload, headers });

/** Every row of every table of the public schema, as text: where a secret at rest would show. */
async function databaseText(): Promise<string> {
  const tables = await h.store.pool.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
  const parts: string[] = [];
  for (const { tablename } of tables.rows) {
    const r = await h.store.pool.query<{ row: string }>(`SELECT t::text AS row FROM "${tablename}" t`);
    parts.push(...r.rows.map((x) => x.row));
  }
  expect(parts.length).toBeGreaterThan(10); // the scan reads real rows
  return parts.join('\n');
}

describe('an API key minted with an Idempotency-Key', () => {
  it('is shown once: a replay is 409 secret-not-replayable naming the key, also after revocation; the secret is nowhere at rest', async () => {
    const headers = { 'idempotency-key': 'mint-ci-key-1' };
    const first = await call('POST', '/v1/api-keys', { name: 'ci', role: 'operator' }, headers);
    expect(first.statusCode, first.body).toBe(201);
    const { id, secret, prefix } = first.json() as { id: string; secret: string; prefix: string };
    expect(secret).toMatch(new RegExp(`^trb_${prefix}_`));
    // The new key works.
    expect((await h.app.inject({ url: '/v1/instances', headers: { authorization: `Bearer ${secret}` } })).statusCode).toBe(200);

    const replay = await call('POST', '/v1/api-keys', { name: 'ci', role: 'operator' }, headers);
    expect(replay.statusCode).toBe(409);
    expect(replay.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(replay.json()).toMatchObject({ code: 'secret-not-replayable', detail: expect.stringContaining(id) });
    expect(replay.body).not.toContain(secret.slice(`trb_${prefix}_`.length));
    // Another body with the same Idempotency-Key is still the ordinary mismatch.
    expect((await call('POST', '/v1/api-keys', { name: 'other', role: 'operator' }, headers)).json().code).toBe('idempotency-key-reused');

    expect((await call('DELETE', `/v1/api-keys/${id}`)).statusCode).toBe(200);
    expect((await call('POST', '/v1/api-keys', { name: 'ci', role: 'operator' }, headers)).json().code).toBe('secret-not-replayable');

    const text = await databaseText();
    expect(text).toContain(id); // the record of what was made is there …
    expect(text).not.toContain(secret.slice(`trb_${prefix}_`.length)); // … the secret, whole or in part, is not
    expect(text).not.toContain(secret);
  });
  it('other POSTs still replay their first response', async () => {
    const headers = { 'idempotency-key': 'acl-1' };
    const body = { resourceType: 'TOPIC', resourceName: 'orders', principal: 'User:alice', operation: 'READ' };
    const first = await call('POST', `/v1/instances/${h.instanceId}/acls`, body, headers);
    const again = await call('POST', `/v1/instances/${h.instanceId}/acls`, body, headers);
    expect(again.statusCode).toBe(first.statusCode);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
  });
});

describe('SCRAM salted passwords (password equivalents) at rest', () => {
  it('are sealed with the deployment key; neither the password nor the salted password is stored', async () => {
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const made = await call('POST', `/v1/instances/${h.instanceId}/users`, { name: 'svc', password, mechanism: 'SCRAM-SHA-256', iterations: 4096 }, { 'idempotency-key': 'user-svc' });
    expect(made.statusCode, made.body).toBe(202);
    const row = await h.store.db.kafkaUser.findFirstOrThrow({ where: { instanceId: h.instanceId, name: 'svc' } });
    expect(row.saltedPassword.startsWith(`sealed:v1:${secrets.keyId}:`)).toBe(true);
    const salted = scramCredential(password, 'SCRAM-SHA-256', 4096, Buffer.from(row.salt, 'base64')).saltedPassword;
    const text = await databaseText();
    expect(text).not.toContain(password);
    expect(text).not.toContain(salted);
    expect(text).not.toContain(Buffer.from(salted, 'base64').toString('hex'));

    // The key opens it to exactly the salted password the broker needs (the operator's side: test/api/sealed-passwords.test.ts).
    expect(secrets.open(row.saltedPassword, 'kafka_user.salted_password')).toBe(salted);
  });
  it('rotation: with the new key current and the old one previous, start-up re-seals every value (and plain ones from before)', async () => {
    const password = `pw-${randomBytes(12).toString('hex')}`;
    expect((await call('POST', `/v1/instances/${h.instanceId}/users`, { name: 'rotated', password })).statusCode).toBe(202);
    // A row from before encryption at rest: its salted password in the clear.
    const plain = scramCredential('an-old-password-1', 'SCRAM-SHA-512', 4096);
    await h.store.pool.query(
      `INSERT INTO kafka_user (id, instance_id, name, mechanism, iterations, salt, stored_key, server_key, salted_password, updated_at)
       VALUES ('use-legacy', $1, 'legacy', 'SCRAM-SHA-512', 4096, $2, $3, $4, $5, now())`,
      [h.instanceId, plain.salt, plain.storedKey, plain.serverKey, plain.saltedPassword],
    );
    const before = (await h.store.pool.query<{ name: string; salted_password: string }>('SELECT name, salted_password FROM kafka_user')).rows;
    const next = randomBytes(32);
    const rotating = new SecretBox(next, [keyBytes]);
    expect(await resealSecrets(h.store.pool, rotating)).toBe(before.length);
    expect(await resealSecrets(h.store.pool, rotating)).toBe(0); // idempotent
    const after = (await h.store.pool.query<{ name: string; salted_password: string }>('SELECT name, salted_password FROM kafka_user')).rows;
    for (const r of after) expect(rotating.isCurrent(r.salted_password), r.name).toBe(true);
    // Once re-sealed, the previous key is no longer needed, and the old key alone opens nothing.
    const newOnly = new SecretBox(next);
    const oldOnly = new SecretBox(keyBytes);
    const column = 'kafka_user.salted_password';
    for (const r of after) {
      const was = before.find((b) => b.name === r.name)!.salted_password;
      expect(newOnly.open(r.salted_password, column)).toBe(SecretBox.isSealed(was) ? oldOnly.open(was, column) : was);
      expect(() => oldOnly.open(r.salted_password, column)).toThrow(/neither the current nor the previous/);
    }
    expect((await databaseText())).not.toContain(plain.saltedPassword);
  });
  it('a sealed value does not open under another column name (GCM associated data), nor when tampered with', () => {
    const sealed = secrets.seal('x', 'kafka_user.salted_password');
    expect(() => secrets.open(sealed, 'other.column')).toThrow();
    expect(() => secrets.open(sealed.slice(0, -2) + (sealed.endsWith('AA') ? 'AB' : 'AA'), 'kafka_user.salted_password')).toThrow();
  });
  it('keys come from TRIBUTARY_SECRET_KEY or a file (a Kubernetes Secret); the API refuses to start without one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secret-key-'));
    try {
      writeFileSync(join(dir, 'key'), `${keyBytes.toString('hex')}\n`, { mode: 0o600 });
      const fromFile = secretBoxFromEnv({ TRIBUTARY_SECRET_KEY_FILE: join(dir, 'key') });
      expect(fromFile.keyId).toBe(secrets.keyId);
      expect(secretBoxFromEnv({ TRIBUTARY_SECRET_KEY: keyBytes.toString('base64') }).keyId).toBe(secrets.keyId);
      expect(() => secretBoxFromEnv({})).toThrow(/TRIBUTARY_SECRET_KEY/);
      expect(() => secretBoxFromEnv({ TRIBUTARY_SECRET_KEY: 'too-short' })).toThrow(/32 bytes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('API key prefixes', () => {
  it('are identifiers of their own, never characters of the secret', async () => {
    for (let i = 0; i < 20; i++) {
      const k = generateApiKey();
      const secret = k.key.slice(`trb_${k.prefix}_`.length);
      expect(k.key.startsWith(`trb_${k.prefix}_`)).toBe(true);
      expect(secret).not.toContain(k.prefix);
    }
    // A bootstrap key given from outside without our form gets a random prefix, not its first characters.
    const given = 'my-own-bootstrap-key-0123456789';
    expect(given).not.toContain(prefixOf(given));
    expect(prefixOf('trb_0123456789ab_rest-of-the-secret')).toBe('0123456789ab');
    await ensureBootstrapKey(h.store, given);
    const row = await h.store.db.apiKey.findFirstOrThrow({ where: { accountId: 'acc-bootstrap' } });
    expect(given).not.toContain(row.prefix);
    expect(await databaseText()).not.toContain(given);
  });
});
