/**
 * Child process of api.bench.ts: real PostgreSQL and Redis, the API and a bare fastify hello-world,
 * so the load generator does not share the servers' event loop. Prints one JSON line when ready
 * and stops everything on SIGTERM.
 */
import Fastify from 'fastify';
import { buildApp, createReconcileQueue, generateApiKey } from '@tributary/api';
import { PrismaStore } from '../../apps/api/src/store/prisma-store.ts';
import { startTestServices } from '@tributary/testkit';
import { SecretBox } from '@tributary/db';

const services = await startTestServices();
const store = await PrismaStore.connect(services.databaseUrl);
const queue = createReconcileQueue(services.redisUrl);
const hello = Fastify();
hello.get('/', async () => ({ hello: 'world' }));
const helloUrl = await hello.listen({ port: 0, host: '127.0.0.1' });
const app = await buildApp({ store, queue, secrets: SecretBox.generate(), rateLimitMax: 1_000_000_000, docs: false });
const apiUrl = await app.listen({ port: 0, host: '127.0.0.1' });
const account = await store.createAccount('bench');
const key = generateApiKey();
await store.createApiKey(account, 'bench', 'admin', key.prefix, key.hash);
const created = await app.inject({
  method: 'POST', url: '/v1/instances', headers: { authorization: `Bearer ${key.key}` },
  payload: { name: 'bench', spec: { zone: 'zone-a', brokers: 3, bandwidthMBps: 100, diskGiB: 1000, partitionLimit: 40000, topicLimit: 10000, consumerGroupLimit: 100, billing: { mode: 'postpaid' } } },
});
const instanceId = (created.json() as { resource: { id: string } }).resource.id;
console.log(JSON.stringify({ helloUrl, apiUrl, key: key.key, instanceId }));

process.once('SIGTERM', async () => {
  await app.close();
  await hello.close();
  await queue.close();
  await store.close();
  await services.stop();
  process.exit(0);
});
