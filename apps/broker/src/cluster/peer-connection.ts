import { ApiKey } from '@tributary/protocol';
import { BrokerConnection } from '@tributary/kafka-admin';

/**
 * A connection to another broker that has answered an ApiVersions request, as Kafka's inter-broker
 * NetworkClient discovers a broker's versions before sending anything (used by the transaction
 * markers' channel and by the group counts asked of peers). A broker that is stopped (SIGSTOP, a
 * long GC pause) still has its connections accepted by the kernel, so a request written at once
 * would wait in its socket and be executed when it continues, even after the sender died and a
 * successor did the same work: a second transaction marker on a partition, which Kafka never writes
 * (test/conformance/protocol-txn-markers found it). Rejects (and closes) when the broker does not
 * answer within `timeoutMs`.
 */
export async function openAnsweringConnection(host: string, port: number, clientId: string, timeoutMs: number): Promise<BrokerConnection> {
  const conn = await BrokerConnection.open(host, port, clientId, timeoutMs);
  try {
    await conn.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 'tributary-broker', clientSoftwareVersion: '1' });
    return conn;
  } catch (err) {
    conn.close();
    throw err;
  }
}
