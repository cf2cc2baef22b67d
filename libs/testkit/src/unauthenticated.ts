import { connect } from 'node:net';
import { ApiKey, encodeRequest } from '@tributary/protocol';

/**
 * Sends a Metadata request as the very first request on a new connection, without SASL, and resolves
 * with how many bytes came back before the broker closed the connection. On a SASL listener Kafka
 * (and Tributary) close such a connection without answering: 0 bytes. Bounded: a listener that
 * neither answers nor closes within `timeoutMs` rejects.
 */
export function metadataWithoutLogin(address: string, timeoutMs = 15_000): Promise<{ bytes: number }> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    let bytes = 0;
    const socket = connect({ host: host!, port: Number(port) }, () => {
      for (const chunk of encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 9, correlationId: 1, clientId: 'no-login' }, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })) socket.write(chunk);
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${address} neither answered nor closed within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (d) => (bytes += d.length));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ bytes });
    });
    socket.on('error', () => undefined);
  });
}
