import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { describe, expect, it } from 'vitest';
import { CONFIG_HASH_ANNOTATION } from './labels.ts';
import { readClusterStatus } from './status.ts';

const input = { instanceId: 'ins-1', namespace: 'ns', kafkaPort: 9092, internalBootstrap: 'kafka-ins-1-brokers.ns.svc.cluster.local:9092', desiredConfigHash: 'h2' };
const sts = (replicas: number): IStatefulSet => ({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'kafka-ins-1' }, spec: { replicas, serviceName: 'x', selector: {}, template: {} } });

function pod(name: string, opts: { phase?: string; ready?: boolean; hash?: string; restarts?: number[]; deleting?: boolean } = {}): IPod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, annotations: opts.hash ? { [CONFIG_HASH_ANNOTATION]: opts.hash } : {}, ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    status: {
      phase: (opts.phase ?? 'Running') as 'Running',
      conditions: [{ type: 'Ready', status: opts.ready ? 'True' : 'False' }],
      containerStatuses: (opts.restarts ?? [0]).map((n, i) => ({ name: `c${i}`, image: 'i', imageID: '', ready: !!opts.ready, restartCount: n })),
    },
  };
}

describe('readClusterStatus', () => {
  it('reports every desired broker, missing pods as not running', () => {
    const s = readClusterStatus(input, sts(3), [pod('kafka-ins-1-0', { ready: true, hash: 'h2' })]);
    expect(s.brokers.map((b) => [b.nodeId, b.running, b.ready, b.configHash])).toEqual([[1, true, true, 'h2'], [2, false, false, null], [3, false, false, null]]);
    expect(s.desiredBrokers).toBe(3);
    expect(s.readyBrokers).toBe(1);
    expect(s.conditions.find((c) => c.type === 'BrokersScheduled')).toMatchObject({ status: 'False', reason: 'PodsPending', message: '1/3 broker pods running' });
    expect(s.internalBootstrapServers).toEqual([input.internalBootstrap]);
    expect(s.clientBootstrapServers).toEqual([]);
    expect(s.brokers[2]!.address).toBe('kafka-ins-1-2.kafka-ins-1-brokers.ns.svc.cluster.local:9092');
  });

  it('pending, terminating and unready pods are not ready; restarts are summed over containers', () => {
    const s = readClusterStatus(input, sts(3), [
      pod('kafka-ins-1-0', { phase: 'Pending', ready: false }),
      pod('kafka-ins-1-1', { ready: true, deleting: true }),
      pod('kafka-ins-1-2', { ready: false, restarts: [2, 3] }),
    ]);
    expect(s.brokers.map((b) => [b.running, b.ready])).toEqual([[false, false], [false, false], [true, false]]);
    expect(s.brokers[2]!.restarts).toBe(5);
    expect(s.conditions.find((c) => c.type === 'BrokersReady')).toMatchObject({ status: 'False', message: '0/3 brokers ready' });
  });

  it('ignores pods of other StatefulSets and ordinals beyond replicas', () => {
    const s = readClusterStatus(input, sts(1), [pod('kafka-ins-10-0', { ready: true }), pod('kafka-ins-1-1', { ready: true }), pod('other', { ready: true })]);
    expect(s.brokers).toHaveLength(1);
    expect(s.brokers[0]!.running).toBe(false);
  });

  it('ConfigCurrent names the running brokers on older settings; unknown desired hash means no judgement', () => {
    const pods = [pod('kafka-ins-1-0', { ready: true, hash: 'h1' }), pod('kafka-ins-1-1', { ready: true, hash: 'h2' })];
    expect(readClusterStatus(input, sts(2), pods).conditions.find((c) => c.type === 'ConfigCurrent')).toMatchObject({ status: 'False', reason: 'RestartPending', message: 'brokers 1 run older settings' });
    expect(readClusterStatus({ ...input, desiredConfigHash: null }, sts(2), pods).conditions.find((c) => c.type === 'ConfigCurrent')?.status).toBe('True');
    const all = readClusterStatus(input, sts(2), pods.map((p) => ({ ...p, metadata: { ...p.metadata, annotations: { [CONFIG_HASH_ANNOTATION]: 'h2' } } })));
    expect(all.conditions.map((c) => c.status)).toEqual(['True', 'True', 'True']);
  });
});
