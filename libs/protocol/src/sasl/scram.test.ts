import { describe, expect, it } from 'vitest';
import { credentialFromSaltedPassword, passwordMatches, saltedPassword, ScramClient, ScramError, ScramServer, type ScramCredential, type ScramMechanismName } from './scram.ts';

const users = new Map<string, ScramCredential>();
const salt = Buffer.from('0123456789abcdef');
for (const m of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) users.set(`${m}/alice`, credentialFromSaltedPassword(m, saltedPassword(m, 'wonderland', salt, 4096), salt, 4096));
const lookup = (m: ScramMechanismName) => (u: string) => users.get(`${m}/${u}`) ?? null;
const fakeKey = Buffer.alloc(32, 9);

function exchange(m: ScramMechanismName, user: string, password: string) {
  const server = new ScramServer(m, lookup(m), fakeKey);
  const client = new ScramClient(m, user, password);
  const first = server.step(client.first());
  const final = server.step(client.final(first.reply));
  client.verify(final.reply);
  return { serverFirst: first.reply.toString(), authenticated: final.authenticated };
}

describe('SCRAM (RFC 5802 / 7677)', () => {
  it.each(['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const)('%s: the right password authenticates both ways (client checks the server signature)', (m) => {
    expect(exchange(m, 'alice', 'wonderland').authenticated).toBe('alice');
  });

  it('matches RFC 7677 key derivation (SCRAM-SHA-256, "pencil")', () => {
    // RFC 7677 §3: salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096 iterations; ServerSignature there is derived from these keys.
    const rfcSalt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    const c = credentialFromSaltedPassword('SCRAM-SHA-256', saltedPassword('SCRAM-SHA-256', 'pencil', rfcSalt, 4096), rfcSalt, 4096);
    expect(c.storedKey.toString('base64')).toBe('WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=');
    expect(c.serverKey.toString('base64')).toBe('wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=');
  });

  it('refuses a wrong password, and an unknown user only at the proof, with a salt that looks real', () => {
    expect(() => exchange('SCRAM-SHA-256', 'alice', 'wrong')).toThrow(ScramError);
    const server = new ScramServer('SCRAM-SHA-256', lookup('SCRAM-SHA-256'), fakeKey);
    const client = new ScramClient('SCRAM-SHA-256', 'mallory', 'x');
    const first = server.step(client.first()).reply.toString();
    expect(first).toMatch(/^r=[^,]+,s=[A-Za-z0-9+/=]+,i=4096$/);
    // The same unknown name gets the same salt each time, as a real user would.
    const again = new ScramServer('SCRAM-SHA-256', lookup('SCRAM-SHA-256'), fakeKey).step(new ScramClient('SCRAM-SHA-256', 'mallory', 'x').first()).reply.toString();
    expect(again.split(',')[1]).toBe(first.split(',')[1]);
    expect(() => server.step(client.final(Buffer.from(first)))).toThrow(ScramError);
  });

  it('refuses tampered nonces, channel-binding flags and malformed messages', () => {
    const server = new ScramServer('SCRAM-SHA-256', lookup('SCRAM-SHA-256'), fakeKey);
    const client = new ScramClient('SCRAM-SHA-256', 'alice', 'wonderland');
    const first = server.step(client.first()).reply;
    const final = client.final(first).toString().replace(/r=([^,]+)/, 'r=$1x');
    expect(() => server.step(Buffer.from(final))).toThrow(ScramError);
    expect(() => new ScramServer('SCRAM-SHA-256', lookup('SCRAM-SHA-256'), fakeKey).step(Buffer.from('p=tls-unique,,n=alice,r=abc'))).toThrow(ScramError);
    expect(() => new ScramServer('SCRAM-SHA-256', lookup('SCRAM-SHA-256'), fakeKey).step(Buffer.from('garbage'))).toThrow(ScramError);
    expect(() => new ScramServer('SCRAM-SHA-256', lookup('SCRAM-SHA-256'), fakeKey).step(Buffer.from('n,,n=bad=name,r=abc'))).toThrow(ScramError);
  });

  it.each(['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const)('%s: logs in with the salted password alone, and only with the salt and count it was derived with', (m) => {
    const server = new ScramServer(m, lookup(m), fakeKey);
    const client = new ScramClient(m, 'alice', { saltedPassword: saltedPassword(m, 'wonderland', salt, 4096), salt, iterations: 4096 });
    const first = server.step(client.first());
    const final = server.step(client.final(first.reply));
    client.verify(final.reply);
    expect(final.authenticated).toBe('alice');
    const otherSalt = new ScramClient(m, 'alice', { saltedPassword: saltedPassword(m, 'wonderland', Buffer.from('another-salt'), 4096), salt: Buffer.from('another-salt'), iterations: 4096 });
    const serverFirst = new ScramServer(m, lookup(m), fakeKey).step(otherSalt.first()).reply;
    expect(() => otherSalt.final(serverFirst)).toThrow(/another salt or iteration count/);
    const wrong = new ScramClient(m, 'alice', { saltedPassword: saltedPassword(m, 'not-wonderland', salt, 4096), salt, iterations: 4096 });
    const wrongServer = new ScramServer(m, lookup(m), fakeKey);
    expect(() => wrongServer.step(wrong.final(wrongServer.step(wrong.first()).reply))).toThrow(ScramError);
  });

  it('checks PLAIN passwords against the SCRAM credential without any stored password', () => {
    expect(passwordMatches('SCRAM-SHA-512', 'wonderland', users.get('SCRAM-SHA-512/alice')!)).toBe(true);
    expect(passwordMatches('SCRAM-SHA-512', 'Wonderland', users.get('SCRAM-SHA-512/alice')!)).toBe(false);
  });
});
