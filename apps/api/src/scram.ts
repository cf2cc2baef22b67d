import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** What a broker needs to verify a SCRAM login (RFC 5802 §3); the password itself is not kept. */
/**
 * `saltedPassword` is kept too: Kafka's AlterUserScramCredentials carries salt + salted password, so
 * the operator needs it to (re)apply the user to brokers; it is never returned by the API. It is a
 * password equivalent for SCRAM logins, like the broker's own credential files.
 */
export interface ScramCredential { mechanism: ScramMechanism; iterations: number; salt: string; storedKey: string; serverKey: string; saltedPassword: string }

/**
 * SaltedPassword := Hi(password, salt, i) (PBKDF2 with HMAC-H), ClientKey := HMAC(SaltedPassword,
 * "Client Key"), StoredKey := H(ClientKey), ServerKey := HMAC(SaltedPassword, "Server Key").
 * The password is used as UTF-8 without SASLprep normalisation (Kafka's clients do the same).
 */
export function scramCredential(password: string, mechanism: ScramMechanism, iterations: number, salt = randomBytes(32)): ScramCredential {
  const h = mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
  const size = h === 'sha256' ? 32 : 64;
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, size, h);
  const clientKey = createHmac(h, salted).update('Client Key').digest();
  return {
    mechanism, iterations, salt: salt.toString('base64'),
    storedKey: createHash(h).update(clientKey).digest('base64'),
    serverKey: createHmac(h, salted).update('Server Key').digest('base64'),
    saltedPassword: salted.toString('base64'),
  };
}
