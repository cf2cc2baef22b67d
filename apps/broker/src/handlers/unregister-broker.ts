import { ErrorCode, KafkaProtocolError } from '@tributary/protocol';
import { defineApi } from './api-module.ts';
import { onCluster } from './cluster-admin.ts';

/**
 * UnregisterBroker (KIP-631; `kafka-cluster unregister`): removes a broker's registration, ALTER on
 * the cluster as Kafka's controller checks it. As Kafka, any registered broker may be unregistered
 * — one that is gone (its id outlives its lease, as Kafka keeps a fenced broker's registration) and
 * a live one alike; a live one keeps running unregistered, so the controller moves its leaderships
 * and ISR places away, until it restarts (cluster/etcd-cluster.ts). An id no broker registered is
 * BROKER_ID_NOT_REGISTERED with Kafka's message.
 */
export const unregisterBrokerApi = defineApi({
  api: 'UnregisterBroker',
  minVersion: 0,
  maxVersion: 0,
  serves: 'any-broker',
  authorization: onCluster('ALTER'),
  handle: async (ctx, request) => {
    const id = request.body.brokerId;
    if (!(await ctx.cluster.unregisterBroker(id))) throw new KafkaProtocolError(ErrorCode.BROKER_ID_NOT_REGISTERED, `Broker ID ${id} is not currently registered`);
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null };
  },
});
