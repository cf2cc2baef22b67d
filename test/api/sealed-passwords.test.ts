import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '@tributary/db';
import { startTestServices, type TestServices } from '@tributary/testkit';
import { buildApp, createReconcileQueue } from '../../apps/api/src/index.ts';
import { ensureBootstrapKey } from '../../apps/api/src/bootstrap.ts';
import { scramCredential } from '../../apps/api/src/scram.ts';
import { PrismaStore } from '../../apps/api/src/store/prisma-store.ts';
import { DesiredStateStore } from '../../apps/operator/src/store/desired-state-store.ts';

/**
 * Across the two apps: the API seals a SCRAM user's salted password with the deployment's key and
 * the operator, given the same key, reads back exactly the salted password it applies to brokers;
 * without the key it stops with a message naming it instead of applying garbage.
 */
let services: TestServices;
let store: PrismaStore;
const secrets = SecretBox.generate();
const KEY = 'trb_00112233aabb_sealed-passwords-test-key-0123';

beforeAll(async () => {
  services = await startTestServices();
  store = await PrismaStore.connect(services.databaseUrl);
  await ensureBootstrapKey(store, KEY);
}, 60_000);
afterAll(async () => {
  await store?.close();
  await services?.stop();
});

describe('sealed SCRAM salted passwords between the API and the operator', () => {
  it('the operator opens what the API sealed, and refuses without the key', async () => {
    const queue = createReconcileQueue(services.redisUrl);
    const app = await buildApp({ store, queue, secrets, docs: false, outboxDrainer: false });
    try {
      const call = (url: string, payload: object) => app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${KEY}` } });
      const spec = { zone: 'zone-a', brokers: 1, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 20, topicLimit: 5, consumerGroupLimit: 10, billing: { mode: 'postpaid' } };
      const made = await call('/v1/instances', { name: 'sealed', spec });
      expect(made.statusCode, made.body).toBe(202);
      const id = made.json().resource.id as string;
      expect((await call(`/v1/instances/${id}/users`, { name: 'svc', password: 'a-long-enough-password', mechanism: 'SCRAM-SHA-256', iterations: 4096 })).statusCode).toBe(202);
      const row = await store.db.kafkaUser.findFirstOrThrow({ where: { instanceId: id, name: 'svc' } });
      expect(SecretBox.isSealed(row.saltedPassword)).toBe(true);
      const salted = scramCredential('a-long-enough-password', 'SCRAM-SHA-256', 4096, Buffer.from(row.salt, 'base64')).saltedPassword;

      const operator = new DesiredStateStore(services.databaseUrl, { secrets });
      try {
        const loaded = await operator.load(id);
        expect(loaded?.desired.access?.users).toEqual([expect.objectContaining({ name: 'svc', saltedPassword: salted })]);
      } finally {
        await operator.close();
      }
      const keyless = new DesiredStateStore(services.databaseUrl);
      try {
        await expect(keyless.load(id)).rejects.toThrow(/TRIBUTARY_SECRET_KEY/);
      } finally {
        await keyless.close();
      }
    } finally {
      await app.close();
      await queue.close();
    }
  });
});
