import { describe, expect, it } from 'vitest';
import {
  AclCreateSchema, ClientQuotaCreateSchema, InstanceCreateSchema, KafkaUserCreateSchema, OffsetResetSchema,
  ReconcileInstanceJobSchema, TopicCreateSchema, TopicNameSchema, immutableSpecChanges, jsonPointer, topicRulesAgainstInstance,
  type InstanceSpec,
} from './index.ts';

const spec = {
  zone: 'zone-a', brokers: 3, bandwidthMBps: 40, diskGiB: 500, partitionLimit: 400, topicLimit: 100,
  consumerGroupLimit: 100, billing: { mode: 'postpaid' },
};
const paths = (r: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) =>
  (r.error?.issues ?? []).map((i) => jsonPointer(i.path));

describe('instance spec', () => {
  it('accepts a valid create body and defaults labels and brokerConfig', () => {
    const r = InstanceCreateSchema.parse({ name: 'orders', spec });
    expect(r.labels).toEqual({});
    expect(r.spec.brokerConfig).toEqual({});
  });
  it.each([0, 16, 2.5])('rejects brokers=%s', (brokers) => {
    expect(paths(InstanceCreateSchema.safeParse({ name: 'orders', spec: { ...spec, brokers } }))).toEqual(['/spec/brokers']);
  });
  it('rejects a bandwidth outside the tiers and disk not in 100 GiB steps', () => {
    const r = InstanceCreateSchema.safeParse({ name: 'orders', spec: { ...spec, bandwidthMBps: 50, diskGiB: 150 } });
    expect(paths(r).sort()).toEqual(['/spec/bandwidthMBps', '/spec/diskGiB']);
  });
  it('rejects unknown fields at every level', () => {
    const r = InstanceCreateSchema.safeParse({ name: 'orders', extra: 1, spec: { ...spec, billing: { mode: 'postpaid', x: 1 } } });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.code)).toContain('unrecognized_keys');
  });
  it('prepaid needs periodMonths; postpaid refuses it', () => {
    expect(paths(InstanceCreateSchema.safeParse({ name: 'a', spec: { ...spec, billing: { mode: 'prepaid' } } }))).toEqual(['/spec/billing/periodMonths']);
    expect(paths(InstanceCreateSchema.safeParse({ name: 'a', spec: { ...spec, billing: { mode: 'postpaid', periodMonths: 1 } } }))).toEqual(['/spec/billing/mode']);
    expect(InstanceCreateSchema.safeParse({ name: 'a', spec: { ...spec, billing: { mode: 'prepaid', periodMonths: 12, autoRenew: true } } }).success).toBe(true);
  });
  it('broker config overrides: allow-list and value validation', () => {
    const ok = InstanceCreateSchema.safeParse({ name: 'a', spec: { ...spec, brokerConfig: { 'auto.create.topics.enable': 'false', 'log.retention.ms': '-1' } } });
    expect(ok.success).toBe(true);
    const bad = InstanceCreateSchema.safeParse({ name: 'a', spec: { ...spec, brokerConfig: { 'listeners': 'PLAINTEXT://:1', 'num.partitions': '0' } } });
    expect(paths(bad).sort()).toEqual(['/spec/brokerConfig/listeners', '/spec/brokerConfig/num.partitions']);
  });
  it('rejects names that are not DNS labels', () => {
    for (const name of ['', 'Orders', '-a', 'a-', 'a_b', 'x'.repeat(64)]) {
      expect(InstanceCreateSchema.safeParse({ name, spec }).success, name).toBe(false);
    }
  });
  it('names the fields that cannot change after creation', () => {
    const before = InstanceCreateSchema.parse({ name: 'a', spec }).spec;
    const after: InstanceSpec = { ...before, zone: 'zone-b', brokers: 2, diskGiB: 400 };
    expect(immutableSpecChanges(before, after)).toEqual(['zone', 'diskGiB']);
    // Brokers change both ways: fewer are drained by the operator (the API checks replication factors).
    expect(immutableSpecChanges(before, { ...before, brokers: 5 })).toEqual([]);
    expect(immutableSpecChanges(before, { ...before, brokers: 2 })).toEqual([]);
  });
});

describe('topic rules', () => {
  it("follows Kafka's name rules", () => {
    for (const ok of ['a', 'orders.v1', 'A_b-c.9', 'x'.repeat(249), '...']) expect(TopicNameSchema.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['', '.', '..', 'x'.repeat(250), 'a b', 'a/b', 'ä', 'a:b']) expect(TopicNameSchema.safeParse(bad).success, bad).toBe(false);
  });
  it('partitions ≥ 1, unknown fields rejected', () => {
    expect(paths(TopicCreateSchema.safeParse({ name: 't', partitions: 0, replicationFactor: 1 }))).toEqual(['/partitions']);
    expect(TopicCreateSchema.safeParse({ name: 't', partitions: 1, replicationFactor: 1, foo: 1 }).success).toBe(false);
  });
  it('validates configs against the allow-list', () => {
    const ok = TopicCreateSchema.safeParse({ name: 't', partitions: 1, replicationFactor: 1, configs: {
      'retention.ms': '-1', 'retention.bytes': '1073741824', 'cleanup.policy': 'compact,delete', 'min.insync.replicas': '2',
      'max.message.bytes': '1048588', 'segment.bytes': '1073741824' } });
    expect(ok.success).toBe(true);
    const bad = TopicCreateSchema.safeParse({ name: 't', partitions: 1, replicationFactor: 1, configs: {
      'retention.ms': '-2', 'cleanup.policy': 'forever', 'segment.bytes': '13', 'min.insync.replicas': '0',
      'max.message.bytes': '99999999999', 'leader.replication.throttled.replicas': '*' } });
    expect(paths(bad).sort()).toEqual([
      '/configs/cleanup.policy', '/configs/leader.replication.throttled.replicas', '/configs/max.message.bytes',
      '/configs/min.insync.replicas', '/configs/retention.ms', '/configs/segment.bytes',
    ]);
  });
  it('replicationFactor against the instance', () => {
    expect(topicRulesAgainstInstance({ replicationFactor: 4, configs: {} }, 3).map((v) => v.code)).toEqual(['replication-factor-too-high']);
    expect(topicRulesAgainstInstance({ replicationFactor: 1, configs: {} }, 3).map((v) => v.code)).toEqual(['replication-factor-too-low']);
    expect(topicRulesAgainstInstance({ replicationFactor: 1, configs: {} }, 1)).toEqual([]);
    expect(topicRulesAgainstInstance({ replicationFactor: 3, configs: {} }, 3)).toEqual([]);
    expect(topicRulesAgainstInstance({ replicationFactor: 2, configs: { 'min.insync.replicas': '3' } }, 3).map((v) => v.path)).toEqual(['/configs/min.insync.replicas']);
  });
});

describe('access, quotas and jobs', () => {
  it('SCRAM users need a 12+ char password and default to SHA-512', () => {
    expect(KafkaUserCreateSchema.parse({ name: 'svc', password: 'x'.repeat(12) }).mechanism).toBe('SCRAM-SHA-512');
    expect(KafkaUserCreateSchema.safeParse({ name: 'svc', password: 'short' }).success).toBe(false);
  });
  it('ACL principal and CLUSTER resource name', () => {
    expect(AclCreateSchema.safeParse({ resourceType: 'TOPIC', resourceName: 't', principal: 'User:a', operation: 'READ' }).success).toBe(true);
    expect(paths(AclCreateSchema.safeParse({ resourceType: 'TOPIC', resourceName: 't', principal: 'a', operation: 'READ' }))).toEqual(['/principal']);
    expect(paths(AclCreateSchema.safeParse({ resourceType: 'CLUSTER', resourceName: 't', principal: 'User:*', operation: 'ALTER' }))).toEqual(['/resourceName']);
  });
  it('client quota needs an entity and a rate', () => {
    expect(ClientQuotaCreateSchema.safeParse({ user: 'a', producerByteRate: 2048 }).success).toBe(true);
    expect(paths(ClientQuotaCreateSchema.safeParse({ producerByteRate: 2048 }))).toEqual(['/user']);
    expect(paths(ClientQuotaCreateSchema.safeParse({ clientId: 'c' }))).toEqual(['/producerByteRate']);
  });
  it('offset reset targets are a closed union', () => {
    expect(OffsetResetSchema.safeParse({ topic: 't', to: { kind: 'timestamp', timestamp: 5 } }).success).toBe(true);
    expect(OffsetResetSchema.safeParse({ topic: 't', to: { kind: 'yesterday' } }).success).toBe(false);
  });
  it('reconcile-instance payload is strict', () => {
    expect(ReconcileInstanceJobSchema.safeParse({ instanceId: 'i', generation: 1, reason: 'created' }).success).toBe(true);
    expect(ReconcileInstanceJobSchema.safeParse({ instanceId: 'i', generation: 0, reason: 'created' }).success).toBe(false);
    expect(ReconcileInstanceJobSchema.safeParse({ instanceId: 'i', generation: 1, reason: 'created', spec: {} }).success).toBe(false);
  });
  it('JSON pointers escape ~ and /', () => {
    expect(jsonPointer(['configs', 'a/b~c', 0])).toBe('/configs/a~1b~0c/0');
  });
});
