import { describe, expect, it } from 'vitest';
import { KafkaAdminClient } from '@tributary/kafka-admin';
import { freePort } from '@tributary/testkit';
import { useApiHarness } from '../../apps/api/src/testing/api-harness.ts';
import { useLiveBroker } from '../support/live-broker.ts';

// The API's live consumer-group routes against a real broker: kafkajs consumes in a group, the API
// reads members, assignments, committed offsets and lag, and resets an empty group's offsets.
// Instance status is written by the operator's own store, as the operator would after reconciling.
const api = useApiHarness({ keys: { admin: { account: 'live', role: 'admin' }, viewer: { account: 'live', role: 'viewer' } } });
const { keys } = api;
const fixture = useLiveBroker(api, 'live-reads');
const { instanceWith } = fixture;

function call(method: 'GET' | 'POST' | 'DELETE', url: string, key = keys.admin, body?: unknown) {
  return api.call(method, url, { key, ...(body !== undefined ? { body } : {}) });
}

describe('live consumer groups through the API', () => {
  it('shows members, assignments, committed offsets and lag; resets an empty group; deletes it', async () => {
    const id = await instanceWith('live-a', [fixture.broker.bootstrap]);
    const admin = fixture.kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] });
    await admin.disconnect();
    const producer = fixture.kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'orders', acks: -1, messages: Array.from({ length: 90 }, (_, i) => ({ partition: i % 3, value: `m${i}` })) });

    // A running member that has consumed and committed everything so far.
    const consumer = fixture.kafka.consumer({ groupId: 'billing', sessionTimeout: 10_000, heartbeatInterval: 500 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    let seen = 0;
    await consumer.run({ autoCommitInterval: 100, eachMessage: async () => void seen++ });
    for (let i = 0; i < 200 && seen < 90; i++) await new Promise((r) => setTimeout(r, 100));
    expect(seen).toBe(90);
    const read = async () => (await call('GET', `/v1/instances/${id}/consumer-groups/billing`)).json();
    let live = await read();
    for (let i = 0; i < 100 && !(live.offsets?.length === 3 && live.offsets.every((o: { committed: number }) => o.committed === 30)); i++) {
      await new Promise((r) => setTimeout(r, 100));
      live = await read();
    }
    // Paused, the member stays in the group but reads nothing more: three new records become lag.
    consumer.pause([{ topic: 'orders' }]);
    await producer.send({ topic: 'orders', acks: -1, messages: Array.from({ length: 3 }, (_, i) => ({ partition: i, value: 'late' })) });
    live = await read();
    expect(live.state).toBe('Stable');
    expect(live.members).toHaveLength(1);
    expect(live.members[0].clientId).toBe('live-reads');
    expect(live.members[0].assignment).toEqual([{ topic: 'orders', partitions: [0, 1, 2] }]);
    expect(live.offsets).toEqual([0, 1, 2].map((partition) => ({ topic: 'orders', partition, committed: 30, end: 31, lag: 1 })));

    // A group with a member cannot be reset: its next commit would undo the reset.
    const busy = await call('POST', `/v1/instances/${id}/consumer-groups/billing/offsets`, keys.admin, { topic: 'orders', to: { kind: 'earliest' } });
    expect(busy.statusCode).toBe(409);
    expect(busy.json().code).toBe('group-not-empty');
    await consumer.disconnect();
    await producer.disconnect();

    // Viewers read but do not change.
    expect((await call('GET', `/v1/instances/${id}/consumer-groups/billing`, keys.viewer)).statusCode).toBe(200);
    expect((await call('POST', `/v1/instances/${id}/consumer-groups/billing/offsets`, keys.viewer, { topic: 'orders', to: { kind: 'earliest' } })).statusCode).toBe(403);

    const reset = await call('POST', `/v1/instances/${id}/consumer-groups/billing/offsets`, keys.admin, { topic: 'orders', to: { kind: 'earliest' } });
    expect(reset.statusCode, reset.body).toBe(200);
    expect(reset.json().state).toBe('Empty');
    expect(reset.json().offsets).toEqual([0, 1, 2].map((partition) => ({ topic: 'orders', partition, committed: 0, end: 31, lag: 31 })));
    // The broker really holds the new offsets (read with an independent client).
    const check = await KafkaAdminClient.connect(fixture.broker.bootstrap);
    expect((await check.committedOffsets('billing')).map((o) => o.offset)).toEqual([0n, 0n, 0n]);
    check.close();

    const exact = await call('POST', `/v1/instances/${id}/consumer-groups/billing/offsets`, keys.admin, { topic: 'orders', to: { kind: 'exact', offsets: { '1': 7 } } });
    expect(exact.json().offsets.find((o: { partition: number }) => o.partition === 1)).toEqual({ topic: 'orders', partition: 1, committed: 7, end: 31, lag: 24 });
    const bad = await call('POST', `/v1/instances/${id}/consumer-groups/billing/offsets`, keys.admin, { topic: 'orders', to: { kind: 'exact', offsets: { '9': 0, '0': 500 } } });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors.map((e: { path: string }) => e.path).sort()).toEqual(['/to/offsets/0', '/to/offsets/9']);
    const latest = await call('POST', `/v1/instances/${id}/consumer-groups/billing/offsets`, keys.admin, { topic: 'orders', to: { kind: 'latest' } });
    expect(latest.json().offsets.map((o: { lag: number }) => o.lag)).toEqual([0, 0, 0]);

    // A second group (offsets set directly), then paging through both.
    const direct = await KafkaAdminClient.connect(fixture.broker.bootstrap);
    await direct.commitOffsets('audit', [{ topic: 'orders', partition: 0, offset: 10n }]);
    direct.close();
    const page1 = (await call('GET', `/v1/instances/${id}/consumer-groups?limit=1`)).json();
    expect(page1.items.map((g: { group: string }) => g.group)).toEqual(['audit']);
    expect(page1.items[0].offsets).toEqual([{ topic: 'orders', partition: 0, committed: 10, end: 31, lag: 21 }]);
    const page2 = (await call('GET', `/v1/instances/${id}/consumer-groups?limit=1&cursor=${page1.nextCursor}`)).json();
    expect(page2.items.map((g: { group: string }) => g.group)).toEqual(['billing']);
    expect(page2.nextCursor).toBeUndefined();

    const deleted = await call('DELETE', `/v1/instances/${id}/consumer-groups/billing`);
    expect(deleted.statusCode).toBe(204);
    const gone = await call('GET', `/v1/instances/${id}/consumer-groups/billing`);
    expect(gone.statusCode).toBe(404);

    // Every live write left an Operation and an AuditEvent like any other mutation: the refused
    // reset (group not empty, bad offsets) as Failed with its problem code, the others Succeeded.
    const ops = (await call('GET', `/v1/operations?targetId=${id}/billing&limit=50`)).json().items as { id: string; kind: string; state: string; error: string | null }[];
    expect(ops.map((o) => [o.kind, o.state])).toEqual([
      ['consumer-group.offsets-reset', 'Failed'], ['consumer-group.offsets-reset', 'Succeeded'], ['consumer-group.offsets-reset', 'Succeeded'],
      ['consumer-group.offsets-reset', 'Failed'], ['consumer-group.offsets-reset', 'Succeeded'], ['consumer-group.delete', 'Succeeded'],
    ]);
    expect(ops[0]!.error).toMatch(/^group-not-empty/);
    expect(deleted.headers['operation-id']).toBe(ops[5]!.id);
    const audit = await api.store.db.auditEvent.findMany({ where: { targetId: `${id}/billing` }, orderBy: { id: 'asc' }, select: { action: true, targetType: true } });
    expect(audit.map((e) => e.action)).toEqual(ops.map((o) => o.kind));
    expect(new Set(audit.map((e) => e.targetType))).toEqual(new Set(['consumer-group']));
    expect((await call('GET', `/v1/instances/${id}/consumer-groups/no-such-group`)).statusCode).toBe(404);
  });

  it('shows live partition state of a topic: leader, ISR, offsets and size on disk', async () => {
    const id = await instanceWith('live-d', [fixture.broker.bootstrap]);
    const created = await call('POST', `/v1/instances/${id}/topics`, keys.admin, { name: 'metrics', partitions: 2, replicationFactor: 1 });
    expect(created.statusCode, created.body).toBe(202);
    // Not on the brokers yet (the operator has not run in this test): 404 says so.
    expect((await call('GET', `/v1/instances/${id}/topics/metrics/partitions`)).statusCode).toBe(404);
    const admin = await KafkaAdminClient.connect(fixture.broker.bootstrap);
    await admin.createTopics([{ name: 'metrics', partitions: 2, replicationFactor: 1 }]);
    admin.close();
    const producer = fixture.kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'metrics', acks: -1, messages: Array.from({ length: 20 }, () => ({ partition: 1, value: 'y'.repeat(500) })) });
    await producer.disconnect();
    const r = await call('GET', `/v1/instances/${id}/topics/metrics/partitions`, keys.viewer);
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json();
    expect(body.partitions.map((p: { partition: number; leader: number; isr: number[]; underReplicated: boolean; startOffset: number; endOffset: number }) => [p.partition, p.leader, p.isr, p.underReplicated, p.startOffset, p.endOffset])).toEqual([
      [0, 1, [1], false, 0, 0],
      [1, 1, [1], false, 0, 20],
    ]);
    expect(body.partitions[0].sizeBytes).toBe(0);
    expect(body.partitions[1].sizeBytes).toBeGreaterThan(10_000);
    // A topic the control plane does not know is 404 even if the brokers have it.
    expect((await call('GET', `/v1/instances/${id}/topics/orders/partitions`)).statusCode).toBe(404);
  });

  it('answers 409 before the instance has brokers and 503 when its brokers do not answer', async () => {
    const creating = await instanceWith('live-b', null);
    const early = await call('GET', `/v1/instances/${creating}/consumer-groups`);
    expect(early.statusCode).toBe(409);
    expect(early.json().code).toBe('instance-not-running');
    const dead = await instanceWith('live-c', [`127.0.0.1:${await freePort()}`]);
    const down = await call('GET', `/v1/instances/${dead}/consumer-groups/any`);
    expect(down.statusCode).toBe(503);
    expect(down.json().code).toBe('instance-unreachable');
    expect((await call('GET', '/v1/instances/ins_nope/consumer-groups')).statusCode).toBe(404);
  });
});
