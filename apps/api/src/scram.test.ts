import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { scramCredential } from './scram.ts';

describe('SCRAM credentials', () => {
  it('verifies the RFC 7677 §3 SCRAM-SHA-256 exchange', () => {
    // user "user", password "pencil"; the RFC publishes ClientProof and ServerSignature of this exchange.
    const c = scramCredential('pencil', 'SCRAM-SHA-256', 4096, Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'));
    const nonce = 'rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
    const authMessage = `n=user,r=rOprNGfwEbeRWgbNEkqO,r=${nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=${nonce}`;
    const serverSignature = createHmac('sha256', Buffer.from(c.serverKey, 'base64')).update(authMessage).digest('base64');
    expect(serverSignature).toBe('6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
    // ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); the server checks H(ClientKey) == StoredKey.
    const clientSignature = createHmac('sha256', Buffer.from(c.storedKey, 'base64')).update(authMessage).digest();
    const proof = Buffer.from('dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=', 'base64');
    const clientKey = Buffer.from(proof.map((b, k) => b ^ clientSignature[k]!));
    expect(createHash('sha256').update(clientKey).digest('base64')).toBe(c.storedKey);
  });
  it('never contains the password and salts each credential', () => {
    const a = scramCredential('correct horse battery', 'SCRAM-SHA-512', 4096);
    const b = scramCredential('correct horse battery', 'SCRAM-SHA-512', 4096);
    expect(JSON.stringify(a)).not.toContain('correct horse');
    expect(a.salt).not.toBe(b.salt);
    expect(a.storedKey).not.toBe(b.storedKey);
    expect(Buffer.from(a.storedKey, 'base64')).toHaveLength(64);
  });
});
