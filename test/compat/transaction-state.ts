import { ApiKey, type DescribeTransactionsResponse } from '@tributary/protocol';
import { BrokerConnection } from '@tributary/kafka-admin';

/**
 * A transactional id's state and producer epoch as DescribeTransactions tells them, asked of the
 * first broker of `bootstrap` (tests with one broker: it coordinates every id). The epoch shows
 * the transaction version the client ran at: version 2 bumps it at every transaction end,
 * version 1 only at InitProducerId.
 */
export async function describeTransaction(bootstrap: string, transactionalId: string) {
  const [host, port] = bootstrap.split(',')[0]!.split(':');
  const conn = await BrokerConnection.open(host!, Number(port), 'transaction-state', 30_000);
  try {
    const r = await conn.send<DescribeTransactionsResponse>(ApiKey.DescribeTransactions, 0, { transactionalIds: [transactionalId] });
    const t = r.transactionStates[0]!;
    return { errorCode: t.errorCode, state: t.transactionState, producerEpoch: t.producerEpoch, topics: t.topics };
  } finally {
    conn.close();
  }
}
