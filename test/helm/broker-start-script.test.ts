import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArgs } from '../../apps/broker/src/config/broker-config.ts';
import { resolveListenerSecurity } from '../../apps/broker/src/security/listener-security.ts';
import { buildInstanceObjects } from '../../apps/operator/src/runtimes/kubernetes/builders/index.ts';
import type { KubeClusterSpec } from '../../apps/operator/src/runtimes/kubernetes/spec.ts';

// The contract between the operator's StatefulSet and the broker binary, without a cluster: run the
// pod's start command with the environment Kubernetes would give it and a stand-in `tributary-broker`
// that records its argv, then parse that argv with the broker's own flag parser.
const work = mkdtempSync(join(tmpdir(), 'start-script-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const spec: KubeClusterSpec = {
  instanceId: 'ins-1',
  namespace: 'tenants',
  brokers: 3,
  image: 'broker:test',
  bandwidthMBps: 50,
  diskGiB: 10,
  brokerConfig: { 'num.partitions': '6', 'log.retention.ms': '60000', 'auto.create.topics.enable': 'false' },
  configHash: 'h',
  ports: { kafka: 19092, sasl: 19093, metrics: 19404 },
};

function runPod(ordinal: number, over: Partial<KubeClusterSpec> = {}): string[] {
  const objs = buildInstanceObjects({ ...spec, ...over }, { apiVersion: 'v1', kind: 'ConfigMap', name: 'o', uid: 'u' });
  const sts = objs.find((o) => o.kind === 'StatefulSet')!;
  const cm = objs.find((o) => o.kind === 'ConfigMap')!;
  const container = sts.spec!.template.spec!.containers[0]!;
  const dir = join(work, String(ordinal));
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'etc'), { recursive: true });
  // The ConfigMap volume, mounted where the script expects it (path rewritten into the temp dir).
  for (const [file, text] of Object.entries(cm.data!)) writeFileSync(join(dir, 'etc', file), text);
  const out = join(dir, 'argv');
  writeFileSync(join(dir, 'bin', 'tributary-broker'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${out}'\n`);
  chmodSync(join(dir, 'bin', 'tributary-broker'), 0o755);
  const podName = `${sts.metadata!.name}-${ordinal}`;
  const env: Record<string, string> = { PATH: `${join(dir, 'bin')}:/usr/bin:/bin` };
  for (const e of container.env!) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[e.name] = podName;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[e.name] = spec.namespace;
  }
  const [shell, flag, script] = container.args!;
  expect([shell, flag]).toEqual(['/bin/sh', '-c']);
  const local = script!.replaceAll('/etc/tributary', join(dir, 'etc')).replaceAll('/var/lib/tributary', join(dir, 'data'));
  execFileSync(shell!, [flag!, local], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  return readFileSync(out, 'utf8').trimEnd().split('\n');
}

describe('broker start command of the StatefulSet', () => {
  it.each([0, 2, 10])('pod ordinal %i starts the broker with node id ordinal + 1, its own advertised name and the ConfigMap settings', (ordinal) => {
    const config = parseArgs(runPod(ordinal));
    expect(config.nodeId).toBe(ordinal + 1);
    const host = `kafka-ins-1-${ordinal}.kafka-ins-1-brokers.tenants.svc.cluster.local`;
    expect(config.listeners).toEqual([{ name: 'PLAINTEXT', host: '0.0.0.0', port: 19092 }, { name: 'SASL_PLAINTEXT', host: '0.0.0.0', port: 19093 }]);
    expect(config.advertisedListeners).toEqual([{ name: 'PLAINTEXT', host, port: 19092 }, { name: 'SASL_PLAINTEXT', host, port: 19093 }]);
    // The layout of apps/operator/src/runtimes/listeners.ts: no super user; the internal listener is trusted.
    expect(config.settings['super.users']).toBe('');
    expect(config.settings['tributary.trusted.listeners']).toBe('PLAINTEXT');
    expect(config.settings['inter.broker.listener.name']).toBe('PLAINTEXT');
    expect(config.settings['listener.security.protocol.map']).toBe('PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT');
    expect(config.settings['sasl.enabled.mechanisms']).toBe('SCRAM-SHA-256,SCRAM-SHA-512');
    expect(() => resolveListenerSecurity(config)).not.toThrow();
    expect(config.etcdEndpoints).toEqual([]);
    expect(config.metricsPort).toBe(19404);
    expect(config.dataDir).toBe(join(work, String(ordinal), 'data', 'data'));
    expect(config.settings['num.partitions']).toBe('6');
    expect(config.settings['log.retention.ms']).toBe('60000');
    expect(config.settings['auto.create.topics.enable']).toBe('false');
  });

  it('with etcd, every pod joins the instance cluster: etcd endpoints and the instance id as cluster id', () => {
    const config = parseArgs(runPod(1, { etcdEndpoints: ['http://etcd-0.etcd:2379', 'http://etcd-1.etcd:2379'] }));
    expect(config.nodeId).toBe(2);
    expect(config.etcdEndpoints).toEqual(['http://etcd-0.etcd:2379', 'http://etcd-1.etcd:2379']);
    expect(config.clusterId).toBe('ins-1');
  });
});
