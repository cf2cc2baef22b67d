import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { clusterHosts, EMPTY_HOSTS } from './hosts.ts';

/**
 * The agent's hosts file is computed from Services and pods, not from EndpointSlices: the API server
 * refuses loopback addresses in EndpointSlices, so with the agent's 127.x pod IPs they stay empty
 * and the bundled PostgreSQL's Service name never resolved (issue 22, 2026-12-02).
 */
const service = (name: string, spec: V1Service['spec']): V1Service => ({ metadata: { name, namespace: 'ns' }, spec });
const pod = (name: string, ip: string, labels: Record<string, string>, ready: boolean, extra: Partial<V1Pod['spec']> = {}): V1Pod => ({
  metadata: { name, namespace: 'ns', labels },
  spec: { containers: [], ...extra },
  status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const entries = (hosts: string) => hosts.slice(EMPTY_HOSTS.length).split('\n').filter(Boolean);

describe('node agent hosts file (cluster DNS stand-in)', () => {
  it('names every ready pod a headless Service selects, with the StatefulSet hostname forms', () => {
    const hosts = clusterHosts(
      [service('db', { clusterIP: 'None', selector: { app: 'db' } })],
      [
        pod('db-0', '127.9.0.2', { app: 'db' }, true, { hostname: 'db-0', subdomain: 'db' }),
        pod('db-1', '127.9.0.3', { app: 'db' }, false, { hostname: 'db-1', subdomain: 'db' }),
        pod('web', '127.9.0.4', { app: 'web' }, true),
      ],
    );
    expect(entries(hosts)).toEqual([
      '127.9.0.2\tdb-0.db.ns db-0.db.ns.svc db-0.db.ns.svc.cluster.local',
      '127.9.0.2\tdb.ns db.ns.svc db.ns.svc.cluster.local',
    ]);
  });

  it('names not-ready pods of a headless Service with publishNotReadyAddresses', () => {
    const hosts = clusterHosts([service('brokers', { clusterIP: 'None', publishNotReadyAddresses: true, selector: { app: 'b' } })], [pod('b-0', '127.9.0.5', { app: 'b' }, false)]);
    expect(entries(hosts)).toEqual(['127.9.0.5\tbrokers.ns brokers.ns.svc brokers.ns.svc.cluster.local']);
  });

  it('names one ready pod for a ClusterIP Service, none for a Service without a selector or in another namespace', () => {
    const other = pod('x', '127.9.0.9', { app: 'etcd' }, true);
    other.metadata!.namespace = 'elsewhere';
    const hosts = clusterHosts(
      [service('etcd', { clusterIP: '10.0.0.7', selector: { app: 'etcd' } }), service('external', { clusterIP: '10.0.0.8' })],
      [pod('etcd-1', '127.9.0.7', { app: 'etcd' }, true), pod('etcd-0', '127.9.0.6', { app: 'etcd' }, true), other],
    );
    expect(entries(hosts)).toEqual(['127.9.0.6\tetcd.ns etcd.ns.svc etcd.ns.svc.cluster.local']);
  });

  it('leaves out pods that are deleting or not running', () => {
    const going = pod('a', '127.9.0.2', { app: 'a' }, true);
    going.metadata!.deletionTimestamp = new Date();
    const done = pod('b', '127.9.0.3', { app: 'a' }, true);
    done.status!.phase = 'Succeeded';
    expect(clusterHosts([service('a', { clusterIP: 'None', selector: { app: 'a' } })], [going, done])).toBe(EMPTY_HOSTS);
  });
});
