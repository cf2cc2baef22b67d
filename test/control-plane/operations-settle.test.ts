import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServices, type TestServices } from '@tributary/testkit';
import { PrismaStore } from '../../apps/api/src/store/prisma-store.ts';
import type { Principal } from '../../apps/api/src/store/types.ts';
import { DesiredStateStore } from '../../apps/operator/src/store/desired-state-store.ts';
import type { InstanceStatus } from '../../apps/operator/src/reconcile/desired-instance.ts';

/**
 * Operations end: the operator's status writes settle every operation a pass applied, including
 * topic deletes (once the topic is gone) and the changes an instance deletion made moot.
 */
let services: TestServices;
let api: PrismaStore;
let operator: DesiredStateStore;
let p: Principal;
beforeAll(async () => {
  services = await startTestServices();
  api = await PrismaStore.connect(services.databaseUrl, { instanceCache: false });
  operator = new DesiredStateStore(services.databaseUrl);
  p = { keyId: 'key-1', accountId: await api.createAccount('a'), role: 'admin' };
}, 60_000);
afterAll(async () => { await operator?.close(); await api?.close(); await services?.stop(); });

const spec = { zone: 'zone-a' as const, brokers: 1, bandwidthMBps: 40, diskGiB: 100, partitionLimit: 100, topicLimit: 50, consumerGroupLimit: 5, billing: { mode: 'postpaid' as const }, brokerConfig: {} };
const topic = (name: string) => ({ name, partitions: 1, replicationFactor: 1, configs: {}, labels: {} });
const running = (generation: number): InstanceStatus => ({ phase: 'Running', observedGeneration: generation, internalBootstrapServers: ['127.0.0.1:1'], clientBootstrapServers: [], brokers: [], conditions: [], events: [] });
const state = async (id: string) => (await api.getOperation(p.accountId, id))!;

describe('operations settle', () => {
  it('a topic delete is Succeeded once a Running pass has removed the topic', async () => {
    const { instance } = await api.createInstance(p, { name: 'del', labels: {}, spec });
    const created = await api.createTopic(p, instance, topic('t'));
    await operator.load(instance.id);
    await operator.saveStatus(instance.id, running(1));
    expect((await state(created.operation.id)).state).toBe('Succeeded');
    const deleted = await api.deleteTopic(p, created.topic);
    expect((await state(deleted.operation.id)).state).toBe('Pending');
    const loaded = await operator.load(instance.id);
    expect(loaded!.desired.deletedTopics).toEqual(['t']);
    await operator.saveStatus(instance.id, running(1));
    expect((await state(deleted.operation.id)).state).toBe('Succeeded');
  });

  it('a force-deleted instance ends its topics\' open operations: deletes Succeeded, the rest Failed', async () => {
    const { instance } = await api.createInstance(p, { name: 'forced', labels: {}, spec });
    const pendingCreate = await api.createTopic(p, instance, topic('never-applied'));
    const user = await api.createObject(p, instance, 'acls', 'acl-1', { resourceType: 'TOPIC', resourceName: 'x', patternType: 'LITERAL', principal: 'User:a', host: '*', operation: 'READ', permissionType: 'ALLOW' });
    const gone = await api.deleteInstance(p, instance.id, { force: true });
    await operator.load(instance.id);
    await operator.saveStatus(instance.id, { ...running(gone.instance.generation), phase: 'Deleted' });
    expect((await state(gone.operation.id)).state).toBe('Succeeded');
    const create = await state(pendingCreate.operation.id);
    expect(create.state).toBe('Failed');
    expect(create.error).toMatch(/instance was deleted/);
    expect((await state(user.operation.id)).state).toBe('Failed');
  });

  it('a scale shows the data it moves as the operation\'s progress, to the end; a later change gets none', async () => {
    const { instance } = await api.createInstance(p, { name: 'scaled', labels: {}, spec });
    await operator.load(instance.id);
    await operator.saveStatus(instance.id, running(1));
    const scaled = await api.updateInstance(p, instance.id, { labels: {}, spec: { ...spec, brokers: 2 } });
    const startedAt = new Date(Date.now() + 1).toISOString();
    const moving = { partitionsMoved: 1, partitionsTotal: 4, bytesMoved: 1_000, bytesTotal: 4_000, startedAt, estimatedEndAt: null, throttleBytesPerSecond: 5_000_000, finished: false };
    await operator.load(instance.id);
    await operator.saveStatus(instance.id, { ...running(1), phase: 'Updating', rebalance: moving });
    const during = await state(scaled.operation.id);
    expect(during.state).toBe('Running');
    expect(during.progress).toEqual({ partitionsMoved: 1, partitionsTotal: 4, bytesMoved: 1_000, bytesTotal: 4_000, startedAt, estimatedEndAt: null, throttleBytesPerSecond: 5_000_000 });
    // Accepted after the moves started: the data movement is not its doing.
    const later = await api.createTopic(p, instance, topic('later'));
    const endAt = new Date().toISOString();
    await operator.load(instance.id);
    await operator.saveStatus(instance.id, { ...running(2), rebalance: { ...moving, partitionsMoved: 4, bytesMoved: 4_000, estimatedEndAt: endAt, finished: true } });
    const done = await state(scaled.operation.id);
    expect(done.state).toBe('Succeeded');
    expect(done.progress).toMatchObject({ partitionsMoved: 4, bytesMoved: 4_000, estimatedEndAt: endAt });
    expect((await state(later.operation.id)).progress).toBeNull();
  });
});
