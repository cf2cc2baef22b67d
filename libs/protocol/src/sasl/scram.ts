import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/** SCRAM as Kafka uses it (RFC 5802 with RFC 7677's SHA-256, and SHA-512). */
export type ScramMechanismName = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** Kafka's wire numbering of SCRAM mechanisms (AlterUserScramCredentials, DescribeUserScramCredentials). */
export const SCRAM_MECHANISM_IDS: Record<number, ScramMechanismName> = { 1: 'SCRAM-SHA-256', 2: 'SCRAM-SHA-512' };
export const scramMechanismId = (m: ScramMechanismName): number => (m === 'SCRAM-SHA-256' ? 1 : 2);

/** Kafka accepts 4096–16384 iterations (fewer is too weak, more lets a client stall the broker). */
export const MIN_ITERATIONS = 4096;
export const MAX_ITERATIONS = 16384;

/** What a broker keeps to verify a login: never the password, nor the salted password. */
export interface ScramCredential {
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
  iterations: number;
}

const hashOf = (m: ScramMechanismName) => (m === 'SCRAM-SHA-256' ? 'sha256' : 'sha512');
const hmac = (m: ScramMechanismName, key: Buffer, data: string | Buffer) => createHmac(hashOf(m), key).update(data).digest();

/** StoredKey and ServerKey from a salted password (what AlterUserScramCredentials carries). */
export function credentialFromSaltedPassword(m: ScramMechanismName, saltedPassword: Buffer, salt: Buffer, iterations: number): ScramCredential {
  const clientKey = hmac(m, saltedPassword, 'Client Key');
  return { salt, iterations, storedKey: createHash(hashOf(m)).update(clientKey).digest(), serverKey: hmac(m, saltedPassword, 'Server Key') };
}

export function saltedPassword(m: ScramMechanismName, password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, m === 'SCRAM-SHA-256' ? 32 : 64, hashOf(m));
}

/** Whether a clear-text password (PLAIN) matches a stored SCRAM credential. */
export function passwordMatches(m: ScramMechanismName, password: string, c: ScramCredential): boolean {
  const derived = credentialFromSaltedPassword(m, saltedPassword(m, password, c.salt, c.iterations), c.salt, c.iterations);
  return timingSafeEqual(derived.storedKey, c.storedKey);
}

export class ScramError extends Error {}

/** RFC 5802 saslname: ',' and '=' are escaped as =2C and =3D; any other '=' is malformed. */
function unescapeName(s: string): string {
  if (/=(?!2C|3D)/.test(s)) throw new ScramError('invalid username encoding');
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq !== 1) throw new ScramError(`malformed attribute "${part.slice(0, 16)}"`);
    out.set(part[0]!, part.slice(2));
  }
  return out;
}

/**
 * The server side of one SCRAM exchange: client-first → server-first, client-final → server-final.
 * An unknown user gets a made-up salt and fails only at the proof, so responses do not reveal which
 * user names exist (Kafka does the same).
 */
export class ScramServer {
  readonly mechanism: ScramMechanismName;
  readonly #lookup: (user: string) => ScramCredential | null;
  readonly #fakeSaltKey: Buffer;
  #state: 'first' | 'final' | 'done' = 'first';
  #user = '';
  #credential: ScramCredential | null = null;
  #nonce = '';
  #clientFirstBare = '';
  #serverFirst = '';
  #gs2Header = '';

  constructor(mechanism: ScramMechanismName, lookup: (user: string) => ScramCredential | null, fakeSaltKey: Buffer) {
    this.mechanism = mechanism;
    this.#lookup = lookup;
    this.#fakeSaltKey = fakeSaltKey;
  }

  get user(): string {
    return this.#user;
  }

  /** Feeds one client message; returns the server's reply, and the user once authenticated. */
  step(message: Buffer): { reply: Buffer; authenticated: string | null } {
    const text = message.toString('utf8');
    if (this.#state === 'first') return { reply: Buffer.from(this.#first(text)), authenticated: null };
    if (this.#state === 'final') {
      const reply = this.#final(text);
      return { reply: Buffer.from(reply), authenticated: this.#user };
    }
    throw new ScramError('exchange already complete');
  }

  #first(text: string): string {
    // gs2-header: channel binding flag ('n' or 'y'; 'p' needs binding we do not offer), optional authzid.
    const m = /^([ny]),(a=[^,]*)?,(.*)$/.exec(text);
    if (!m) throw new ScramError('invalid client-first message');
    this.#gs2Header = `${m[1]},${m[2] ?? ''},`;
    this.#clientFirstBare = m[3]!;
    const attrs = attributes(this.#clientFirstBare);
    const user = attrs.get('n');
    const clientNonce = attrs.get('r');
    if (!user || !clientNonce) throw new ScramError('client-first message lacks n= or r=');
    if (attrs.has('m')) throw new ScramError('mandatory extensions are not supported');
    this.#user = unescapeName(user);
    this.#credential = this.#lookup(this.#user);
    const salt = this.#credential?.salt ?? hmac(this.mechanism, this.#fakeSaltKey, this.#user).subarray(0, 16);
    const iterations = this.#credential?.iterations ?? MIN_ITERATIONS;
    this.#nonce = clientNonce + randomBytes(18).toString('base64url');
    this.#serverFirst = `r=${this.#nonce},s=${salt.toString('base64')},i=${iterations}`;
    this.#state = 'final';
    return this.#serverFirst;
  }

  #final(text: string): string {
    this.#state = 'done';
    const proofAt = text.lastIndexOf(',p=');
    if (proofAt < 0) throw new ScramError('client-final message lacks a proof');
    const withoutProof = text.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    if (attrs.get('c') !== Buffer.from(this.#gs2Header).toString('base64')) throw new ScramError('channel binding does not match');
    // librdkafka (2.0 at least) sends its client nonce again in front of ours; Kafka accepts any
    // final nonce that ends with the server-first nonce, and so must we to serve those clients.
    if (!attrs.get('r')?.endsWith(this.#nonce)) throw new ScramError('nonce does not match');
    const proof = Buffer.from(text.slice(proofAt + 3), 'base64');
    const c = this.#credential;
    if (!c) throw new ScramError('authentication failed');
    const authMessage = `${this.#clientFirstBare},${this.#serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.mechanism, c.storedKey, authMessage);
    if (proof.length !== clientSignature.length) throw new ScramError('authentication failed');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    const storedKey = createHash(hashOf(this.mechanism)).update(clientKey).digest();
    if (!timingSafeEqual(storedKey, c.storedKey)) throw new ScramError('authentication failed');
    return `v=${hmac(this.mechanism, c.serverKey, authMessage).toString('base64')}`;
  }
}

/**
 * What a client may log in with: the password, or the salted password with the salt and iteration
 * count it was derived with. SCRAM's proof needs only the salted password, so a service that keeps
 * users' salted passwords (Tributary's API, sealed) can log in as them without ever holding a password.
 */
export type ScramSecret = string | { saltedPassword: Buffer; salt: Buffer; iterations: number };

/** The client side, for our own admin client and for tests of the server. */
export class ScramClient {
  readonly #m: ScramMechanismName;
  readonly #user: string;
  readonly #password: ScramSecret;
  readonly #nonce = randomBytes(18).toString('base64url');
  #clientFirstBare = '';
  #expectedServerSignature: Buffer | null = null;

  constructor(m: ScramMechanismName, user: string, password: ScramSecret) {
    this.#m = m;
    this.#user = user;
    this.#password = password;
  }

  first(): Buffer {
    this.#clientFirstBare = `n=${this.#user.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${this.#nonce}`;
    return Buffer.from(`n,,${this.#clientFirstBare}`);
  }

  final(serverFirst: Buffer): Buffer {
    const text = serverFirst.toString('utf8');
    const attrs = attributes(text);
    const nonce = attrs.get('r')!;
    if (!nonce?.startsWith(this.#nonce)) throw new ScramError('server nonce does not extend ours');
    const salt = Buffer.from(attrs.get('s') ?? '', 'base64');
    const iterations = Number(attrs.get('i'));
    const secret = this.#password;
    let salted: Buffer;
    if (typeof secret === 'string') {
      salted = saltedPassword(this.#m, secret, salt, iterations);
    } else {
      // A salted password holds only for the salt and count it was derived with: another pair means
      // the server keeps another credential for this user (or does not know the user).
      if (!salt.equals(secret.salt) || iterations !== secret.iterations) throw new ScramError('the server holds another salt or iteration count for this user than the salted password was derived with');
      salted = secret.saltedPassword;
    }
    const withoutProof = `c=${Buffer.from('n,,').toString('base64')},r=${nonce}`;
    const authMessage = `${this.#clientFirstBare},${text},${withoutProof}`;
    const clientKey = hmac(this.#m, salted, 'Client Key');
    const storedKey = createHash(hashOf(this.#m)).update(clientKey).digest();
    const signature = hmac(this.#m, storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ signature[i]!;
    this.#expectedServerSignature = hmac(this.#m, hmac(this.#m, salted, 'Server Key'), authMessage);
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  /** Checks the server's final message (mutual authentication). */
  verify(serverFinal: Buffer): void {
    const v = attributes(serverFinal.toString('utf8')).get('v');
    if (!v || !this.#expectedServerSignature || !timingSafeEqual(Buffer.from(v, 'base64'), this.#expectedServerSignature)) throw new ScramError('server signature does not match');
  }
}
