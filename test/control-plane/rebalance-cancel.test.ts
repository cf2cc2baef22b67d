import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMALL_SPEC, useApiHarness } from '../../apps/api/src/testing/api-harness.ts';
import { DesiredStateStore } from '../../apps/operator/src/store/desired-state-store.ts';
import type { InstanceStatus } from '../../apps/operator/src/reconcile/desired-instance.ts';
import { holdFor } from '../../apps/operator/src/reconcile/rebalance-hold.ts';

/**
 * Cancelling a rebalance through the API (issue 20), as far as the control plane goes: the route's
 * answers (problem+json with stable codes), the rebalance.cancel operation the operator finds, and
 * how the operator's status write ends the operations (the cancelled one Failed with the reason, the
 * cancel Succeeded) and keeps the hold until the instance changes again. The brokers' side of the
 * cancel (original replicas back) is test/cluster/rebalance-cancel.test.ts. Real PostgreSQL and Redis.
 */
const h = useApiHarness({ keys: { admin: { account: 'A', role: 'admin' }, viewer: { account: 'A', role: 'viewer' }, other: { account: 'B', role: 'admin' } }, app: { docs: false }, instance: 'cancel' });
let operator: DesiredStateStore;
beforeAll(() => { operator = new DesiredStateStore(h.services.databaseUrl); });
afterAll(async () => { await operator?.close(); });

const running = (generation: number, extra: Partial<InstanceStatus> = {}): InstanceStatus => ({ phase: 'Running', observedGeneration: generation, internalBootstrapServers: ['127.0.0.1:1'], clientBootstrapServers: [], brokers: [], conditions: [], events: [], ...extra });
const cancel = (id: string, key = h.keys.admin) => h.call('POST', `/v1/operations/${id}/cancel`, { key });
const operation = async (id: string) => (await h.call('GET', `/v1/operations/${id}`)).json() as { state: string; error: string | null; kind: string; progress: unknown };
const problem = (r: { statusCode: number; headers: Record<string, unknown>; json(): { code: string; status: number } }, status: number, code: string) => {
  expect(r.headers['content-type']).toContain('application/problem+json');
  expect(r.json()).toMatchObject({ status, code });
  expect(r.statusCode).toBe(status);
};

describe('POST /v1/operations/{id}/cancel', () => {
  it('refuses operations that move no data, that ended, or that are not the account\'s', async () => {
    await operator.load(h.instanceId);
    await operator.saveStatus(h.instanceId, running(1));
    const created = (await h.call('GET', `/v1/operations?targetId=${h.instanceId}`)).json().items[0] as { id: string; state: string };
    expect(created.state).toBe('Succeeded');
    problem(await cancel(created.id), 409, 'operation-finished');
    problem(await cancel('op_does_not_exist'), 404, 'not-found');
    const topic = await h.call('POST', `/v1/instances/${h.instanceId}/topics`, { body: { name: 'orders', partitions: 1, replicationFactor: 1 } });
    expect(topic.statusCode, topic.body).toBe(202);
    problem(await cancel(topic.json().operation.id), 409, 'nothing-to-cancel');
    problem(await cancel(topic.json().operation.id, h.keys.other), 404, 'not-found');
  });

  it('records one cancel of a scale\'s moves; the operator\'s pass ends the scale Failed (cancelled) and holds until the next change', async () => {
    await operator.load(h.instanceId);
    await operator.saveStatus(h.instanceId, running(1));
    const scaled = await h.call('PUT', `/v1/instances/${h.instanceId}`, { body: { labels: {}, spec: { ...SMALL_SPEC, brokers: 3 } } });
    expect(scaled.statusCode, scaled.body).toBe(202);
    const scaleOp = scaled.json().operation.id as string;
    // The operator started moves for it: its progress is on the operation.
    const startedAt = new Date(Date.now() + 1).toISOString();
    const moving = { partitionsMoved: 1, partitionsTotal: 4, bytesMoved: 1_000, bytesTotal: 4_000, startedAt, estimatedEndAt: null, throttleBytesPerSecond: null, finished: false };
    await operator.load(h.instanceId);
    await operator.saveStatus(h.instanceId, running(1, { phase: 'Updating', rebalance: moving }));
    expect(await operation(scaleOp)).toMatchObject({ state: 'Running', progress: { partitionsMoved: 1 } });

    problem(await cancel(scaleOp, h.keys.viewer), 403, 'forbidden');
    const accepted = await cancel(scaleOp);
    expect(accepted.statusCode, accepted.body).toBe(202);
    const cancelOp = accepted.json() as { id: string; kind: string; targetId: string; state: string };
    expect(cancelOp).toMatchObject({ kind: 'rebalance.cancel', targetId: h.instanceId, state: 'Pending' });
    expect(accepted.headers['location']).toBe(`/v1/operations/${cancelOp.id}`);
    // Asked again before the operator got to it: the same cancel.
    expect((await cancel(scaleOp)).json().id).toBe(cancelOp.id);

    const loaded = (await operator.load(h.instanceId))!;
    expect(loaded.desired.rebalanceCancels).toEqual([cancelOp.id]);
    // A pass that has not carried the cancel out (its moves still running) leaves it open.
    await operator.saveStatus(h.instanceId, running(1, { phase: 'Updating', rebalance: moving }));
    expect((await operation(cancelOp.id)).state).not.toMatch(/Succeeded|Failed/);

    // The pass that cancelled the brokers' moves and then reached Running (as a cancelled scale-up does).
    const hold = { key: loaded.desired.placementKey!, cancelledBy: cancelOp.id, at: new Date().toISOString() };
    await operator.saveStatus(h.instanceId, running(2, { rebalance: null, rebalanceHold: hold, cancelled: { ids: [cancelOp.id], partitions: 3, message: '3 moving partition(s) went back to their original replicas' } }));
    const ended = await operation(scaleOp);
    expect(ended.state).toBe('Failed');
    expect(ended.error).toMatch(new RegExp(`cancelled \\(operation ${cancelOp.id}\\): 3 moving partition`));
    expect(await operation(cancelOp.id)).toMatchObject({ state: 'Succeeded', error: null });
    problem(await cancel(scaleOp), 409, 'operation-finished');

    const after = (await operator.load(h.instanceId))!;
    expect(after.desired.rebalanceCancels).toEqual([]);
    expect(holdFor(after.status.rebalanceHold, after.desired.placementKey!)).toEqual(hold);
    // Any later change of the instance (the same scale asked again) lifts the hold.
    const again = await h.call('PUT', `/v1/instances/${h.instanceId}`, { body: { labels: {}, spec: { ...SMALL_SPEC, brokers: 3 } } });
    expect(again.statusCode, again.body).toBe(202);
    const relaunched = (await operator.load(h.instanceId))!;
    expect(holdFor(relaunched.status.rebalanceHold, relaunched.desired.placementKey!)).toBeNull();
  });

  it('a cancel that finds nothing moving any more ends Failed and the moves\' operation goes on', async () => {
    const topic = await h.call('PUT', `/v1/instances/${h.instanceId}/topics/orders`, { body: { replicationFactor: 2, configs: {}, labels: {} } });
    expect(topic.statusCode, topic.body).toBe(202);
    const rfOp = topic.json().operation.id as string;
    const moving = { partitionsMoved: 0, partitionsTotal: 1, bytesMoved: 0, bytesTotal: 10, startedAt: new Date(Date.now() + 1).toISOString(), estimatedEndAt: null, throttleBytesPerSecond: null, finished: false };
    await operator.load(h.instanceId);
    await operator.saveStatus(h.instanceId, running(1, { phase: 'Updating', rebalance: moving }));
    const cancelOp = (await cancel(rfOp)).json().id as string;
    await operator.load(h.instanceId);
    await operator.saveStatus(h.instanceId, running(1, { phase: 'Updating', cancelled: { ids: [cancelOp], partitions: 0, message: 'nothing was moving any more' } }));
    expect(await operation(cancelOp)).toMatchObject({ state: 'Failed', error: 'nothing was moving any more' });
    expect((await operation(rfOp)).state).toBe('Running');
  });
});
