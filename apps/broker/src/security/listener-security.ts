import { readFileSync } from 'node:fs';
import type { SecureContextOptions } from 'node:tls';
import { ConfigError, type BrokerConfig, type Listener } from '../config/broker-config.ts';

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
export type SaslMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512' | 'PLAIN';

const PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
export const SUPPORTED_MECHANISMS: readonly SaslMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512', 'PLAIN'];

/** How one listener secures its connections, resolved once at start-up from Kafka's settings. */
export interface ListenerSecurity {
  protocol: SecurityProtocol;
  tls: boolean;
  sasl: boolean;
  /** Mechanisms a client may pick on this listener (empty when not SASL). */
  mechanisms: SaslMechanism[];
  /** node:tls options (key, cert, ca, client auth) when `tls`. */
  tlsOptions: (SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean }) | null;
}

/** Parses `listener.security.protocol.map` (NAME:PROTOCOL pairs). */
export function protocolMap(text: string): Map<string, SecurityProtocol> {
  const map = new Map<string, SecurityProtocol>();
  for (const pair of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name, protocol] = pair.split(':').map((s) => s.trim());
    if (!name || !protocol || !(PROTOCOLS as readonly string[]).includes(protocol)) throw new ConfigError('listener.security.protocol.map', `"${pair}" is not NAME:${PROTOCOLS.join('|')}`);
    map.set(name, protocol as SecurityProtocol);
  }
  return map;
}

/**
 * Resolves every listener's security, failing start-up with a ConfigError that names the setting
 * to fix: a listener name missing from the map, TLS without a keystore, an unknown mechanism, or
 * PLAIN offered where passwords would cross the network in clear.
 */
export function resolveListenerSecurity(config: BrokerConfig): Map<string, ListenerSecurity> {
  const map = protocolMap(config.settings['listener.security.protocol.map']);
  const mechanisms = config.settings['sasl.enabled.mechanisms'].split(',').map((m) => m.trim()).filter(Boolean);
  for (const m of mechanisms) if (!(SUPPORTED_MECHANISMS as readonly string[]).includes(m)) throw new ConfigError('sasl.enabled.mechanisms', `${m} is not supported (supported: ${SUPPORTED_MECHANISMS.join(', ')})`);
  if (!['', 'true', 'false'].includes(config.settings['allow.everyone.if.no.acl.found'])) throw new ConfigError('allow.everyone.if.no.acl.found', 'must be true, false or empty (per listener: false on SASL listeners)');
  for (const u of config.settings['super.users'].split(';').map((s) => s.trim()).filter(Boolean)) if (!/^[A-Za-z]+:.+$/.test(u)) throw new ConfigError('super.users', `"${u}" is not Type:name (e.g. User:admin)`);
  const clientAuth = config.settings['ssl.client.auth'];
  if (!['none', 'requested', 'required'].includes(clientAuth)) throw new ConfigError('ssl.client.auth', `"${clientAuth}" is not none, requested or required`);
  if (config.settings['ssl.keystore.type'] !== 'PEM') throw new ConfigError('ssl.keystore.type', 'only PEM keystores are supported');
  let tlsOptions: ListenerSecurity['tlsOptions'] | undefined;
  const tls = (): NonNullable<ListenerSecurity['tlsOptions']> => {
    if (tlsOptions) return tlsOptions;
    const location = config.settings['ssl.keystore.location'];
    if (!location) throw new ConfigError('ssl.keystore.location', 'an SSL or SASL_SSL listener needs a PEM keystore (private key + certificate chain)');
    let pem: string;
    try {
      pem = readFileSync(location, 'utf8');
    } catch (err) {
      throw new ConfigError('ssl.keystore.location', `cannot read ${location}: ${(err as Error).message}`);
    }
    const trust = config.settings['ssl.truststore.location'];
    tlsOptions = {
      // The same PEM carries the key and the chain, as Kafka's PEM keystores do; node picks each out.
      key: pem,
      cert: pem,
      ...(config.settings['ssl.key.password'] ? { passphrase: config.settings['ssl.key.password'] } : {}),
      ...(trust ? { ca: readFileSync(trust, 'utf8') } : {}),
      requestCert: clientAuth !== 'none',
      rejectUnauthorized: clientAuth === 'required',
    };
    return tlsOptions;
  };
  const out = new Map<string, ListenerSecurity>();
  for (const listener of config.listeners) {
    const protocol = map.get(listener.name);
    if (!protocol) throw new ConfigError('listener.security.protocol.map', `listener ${listener.name} has no security protocol (add ${listener.name}:PLAINTEXT or another)`);
    const isTls = protocol === 'SSL' || protocol === 'SASL_SSL';
    const isSasl = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
    let offered = isSasl ? (mechanisms as SaslMechanism[]) : [];
    if (isSasl && !isTls && offered.includes('PLAIN') && config.settings['tributary.sasl.plain.allow.insecure'] !== 'true') {
      // PLAIN sends the password itself; without TLS anyone on the path reads it.
      offered = offered.filter((m) => m !== 'PLAIN');
    }
    if (isSasl && offered.length === 0) throw new ConfigError('sasl.enabled.mechanisms', `listener ${listener.name} (${protocol}) would offer no mechanism`);
    out.set(listener.name, { protocol, tls: isTls, sasl: isSasl, mechanisms: offered, tlsOptions: isTls ? tls() : null });
  }
  for (const name of trustedListeners(config)) {
    const security = out.get(name);
    if (!security) throw new ConfigError('tributary.trusted.listeners', `${name} is not one of the listeners`);
    // A SASL listener is where clients log in: trusting it would give every user everything.
    if (security.sasl) throw new ConfigError('tributary.trusted.listeners', `${name} is a ${security.protocol} listener; only an internal PLAINTEXT or SSL listener may be trusted`);
  }
  return out;
}

/** The listeners named in `tributary.trusted.listeners`. */
export function trustedListeners(config: BrokerConfig): string[] {
  return config.settings['tributary.trusted.listeners'].split(',').map((s) => s.trim()).filter(Boolean);
}

export function securityOf(map: Map<string, ListenerSecurity>, listener: Listener): ListenerSecurity {
  return map.get(listener.name)!;
}
