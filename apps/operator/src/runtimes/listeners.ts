import { INSTANCE_SASL_MECHANISMS } from '@tributary/contracts';

/**
 * The listener layout of every instance's brokers (issue 14), shared by both runtimes:
 *
 * - `PLAINTEXT` is the internal listener: bound only to an internal address (loopback in the local
 *   runtime, the pod network behind a NetworkPolicy on Kubernetes), never handed to clients. The
 *   operator, the API and the brokers' replication use it; the broker trusts every connection on it
 *   (`tributary.trusted.listeners`), so no principal name carries super-user rights anywhere else.
 * - `SASL_PLAINTEXT` is the only client-facing listener: users log in with SCRAM-SHA-256/512 and
 *   their ACLs apply (`allow.everyone.if.no.acl.found` stays empty: closed without ACLs).
 *
 * The names stay those of the layout before (where `PLAINTEXT` was also given to clients), so brokers
 * of both layouts replicate from each other while a roll migrates an instance one broker at a time.
 */
export const INTERNAL_LISTENER = 'PLAINTEXT';
export const CLIENT_LISTENER = 'SASL_PLAINTEXT';

/**
 * Part of every broker's config hash: a change of the layout makes every running broker stale, so
 * the reconciler's rolling restart (one broker at a time, with full ISRs) moves an existing instance
 * onto it. Bump it whenever the listener flags below change.
 */
export const LISTENER_LAYOUT = 'internal-plaintext+client-sasl-scram/2';

export interface Endpoint {
  host: string;
  port: number;
}

/** `--listeners` (= `--advertised-listeners`) of one broker. */
export function instanceListeners(endpoints: { internal: Endpoint; client: Endpoint }): string {
  return `${INTERNAL_LISTENER}://${endpoints.internal.host}:${endpoints.internal.port},${CLIENT_LISTENER}://${endpoints.client.host}:${endpoints.client.port}`;
}

/** Broker settings of the layout, applied after the instance's own settings so none can loosen them. */
export function instanceSecuritySettings(): Record<string, string> {
  return {
    'listener.security.protocol.map': `${INTERNAL_LISTENER}:PLAINTEXT,${CLIENT_LISTENER}:SASL_PLAINTEXT`,
    'inter.broker.listener.name': INTERNAL_LISTENER,
    'tributary.trusted.listeners': INTERNAL_LISTENER,
    'sasl.enabled.mechanisms': INSTANCE_SASL_MECHANISMS.join(','),
  };
}

export function instanceSecurityArgs(): string[] {
  return Object.entries(instanceSecuritySettings()).flatMap(([key, value]) => ['--set', `${key}=${value}`]);
}
