import { INSTANCE_SASL_MECHANISMS, type InstanceSecurityProtocol } from '@tributary/contracts';

/**
 * The listener layout of every instance's brokers (issue 14), shared by both runtimes:
 *
 * - `PLAINTEXT` is the internal listener: bound only to an internal address (loopback in the local
 *   runtime, the pod network behind a NetworkPolicy on Kubernetes), never handed to clients. The
 *   operator, the API and the brokers' replication use it; the broker trusts every connection on it
 *   (`tributary.trusted.listeners`), so no principal name carries super-user rights anywhere else.
 * - `SASL_PLAINTEXT` is the only client-facing listener: users log in with SCRAM-SHA-256/512 and
 *   their ACLs apply (`allow.everyone.if.no.acl.found` stays empty: closed without ACLs). Where the
 *   runtime has TLS for instances (`ClientTls`), it is `SASL_SSL` instead: the same over TLS.
 *
 * The names stay those of the layout before (where `PLAINTEXT` was also given to clients), so brokers
 * of both layouts replicate from each other while a roll migrates an instance one broker at a time.
 */
export const INTERNAL_LISTENER = 'PLAINTEXT';

/** TLS for the client endpoint: the broker's certificate (PEM private key + chain, one file). */
export interface ClientTls {
  /** Path of the PEM file (the broker's `ssl.keystore.location`); every broker of the runtime uses it. */
  keystore: string;
  /** Password of an encrypted private key in it. */
  keyPassword?: string;
}

/** The client listener's name, which is also its security protocol. */
export function clientListener(tls: ClientTls | null | undefined): InstanceSecurityProtocol {
  return tls ? 'SASL_SSL' : 'SASL_PLAINTEXT';
}

/**
 * Part of every broker's config hash: a change of the layout makes every running broker stale, so
 * the reconciler's rolling restart (one broker at a time, with full ISRs) moves an existing instance
 * onto it. Bump it whenever the listener flags below change.
 */
export const LISTENER_LAYOUT = 'internal-plaintext+client-sasl-scram/2';

/** The layout a runtime runs, for the config hash: turning TLS on or off rolls the brokers too. */
export function listenerLayout(tls: ClientTls | null | undefined): string {
  return tls ? `${LISTENER_LAYOUT}+tls` : LISTENER_LAYOUT;
}

export interface Endpoint {
  host: string;
  port: number;
}

/** `--listeners` (= `--advertised-listeners`) of one broker. */
export function instanceListeners(endpoints: { internal: Endpoint; client: Endpoint }, tls: ClientTls | null = null): string {
  return `${INTERNAL_LISTENER}://${endpoints.internal.host}:${endpoints.internal.port},${clientListener(tls)}://${endpoints.client.host}:${endpoints.client.port}`;
}

/** Broker settings of the layout, applied after the instance's own settings so none can loosen them. */
export function instanceSecuritySettings(tls: ClientTls | null = null): Record<string, string> {
  const client = clientListener(tls);
  return {
    'listener.security.protocol.map': `${INTERNAL_LISTENER}:PLAINTEXT,${client}:${client}`,
    'inter.broker.listener.name': INTERNAL_LISTENER,
    'tributary.trusted.listeners': INTERNAL_LISTENER,
    'sasl.enabled.mechanisms': INSTANCE_SASL_MECHANISMS.join(','),
    ...(tls ? { 'ssl.keystore.location': tls.keystore, ...(tls.keyPassword ? { 'ssl.key.password': tls.keyPassword } : {}) } : {}),
  };
}

export function instanceSecurityArgs(tls: ClientTls | null = null): string[] {
  return Object.entries(instanceSecuritySettings(tls)).flatMap(([key, value]) => ['--set', `${key}=${value}`]);
}
