import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@tributary/protocol';
import type { BrokerConfig } from '../config/broker-config.ts';
import { StandaloneCluster } from '../cluster/standalone.ts';
import type { TopicRegistry } from '../topics/topic-registry.ts';
import type { ApiRequest } from './api-module.ts';
import type { BrokerContext, RequestSession } from './context.ts';
import { unregisterBrokerApi } from './unregister-broker.ts';

// A standalone broker (the cluster of one) is real here; the handler reads nothing else of the
// context. A clustered broker's unregistration (etcd) is compared with Kafka 4.4's in
// test/conformance/admin-cluster.test.ts.
const ctx = { cluster: new StandaloneCluster({ nodeId: 1, advertisedListeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 }] } as BrokerConfig, {} as TopicRegistry) } as unknown as BrokerContext;
const session = {} as RequestSession;

describe('UnregisterBroker', () => {
  const unregister = (brokerId: number) => unregisterBrokerApi.handle(ctx, { apiVersion: 0, header: { clientId: 'test' }, body: { brokerId } } as unknown as ApiRequest<'UnregisterBroker'>, session);

  it('refuses an id no broker registered with BROKER_ID_NOT_REGISTERED and Kafka\'s message', async () => {
    await expect(unregister(99)).rejects.toMatchObject({ code: ErrorCode.BROKER_ID_NOT_REGISTERED, message: "Broker ID 99 is not currently registered" });
  });

  it('refuses to unregister a standalone broker itself (it has no registration: it is the whole cluster)', async () => {
    await expect(unregister(1)).rejects.toMatchObject({ code: ErrorCode.INVALID_REQUEST });
  });
});
