import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/**
 * `User:<subject DN>` for a TLS client that presented a certificate (Kafka's default SSL principal,
 * e.g. `User:CN=orders,O=Example`), or null without one.
 */
export function tlsPrincipal(socket: Socket): string | null {
  const tls = socket as Partial<TLSSocket>;
  if (typeof tls.getPeerCertificate !== 'function') return null;
  const cert = tls.getPeerCertificate();
  if (!cert || !cert.subject || Object.keys(cert.subject).length === 0) return null;
  // RFC 2253 lists the most specific attribute first; node gives them in certificate order.
  const order = ['CN', 'OU', 'O', 'L', 'ST', 'C'];
  const subject = cert.subject as unknown as Record<string, string | string[]>;
  const parts = order.filter((k) => subject[k] !== undefined).map((k) => `${k}=${[subject[k]].flat().join('+')}`);
  return `User:${parts.join(',')}`;
}
