import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
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

function runPod(ordinal: number, over: Partial<KubeClusterSpec> = {}, secret: Record<string, string> = {}): string[] {
  const objs = buildInstanceObjects({ ...spec, ...over }, { apiVersion: 'v1', kind: 'ConfigMap', name: 'o', uid: 'u' });
  const sts = objs.find((o) => o.kind === 'StatefulSet')!;
  const cm = objs.find((o) => o.kind === 'ConfigMap')!;
  const container = sts.spec!.template.spec!.containers[0]!;
  const dir = join(work, String(ordinal));
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'etc'), { recursive: true });
  // The ConfigMap volume, mounted where the script expects it (path rewritten into the temp dir).
  for (const [file, text] of Object.entries(cm.data!)) writeFileSync(join(dir, 'etc', file), text);
  // The client-TLS Secret's volume (kubernetes.io/tls keys) and the pod's /tmp emptyDir, likewise.
  mkdirSync(join(dir, 'tls'), { recursive: true });
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  for (const [file, text] of Object.entries(secret)) writeFileSync(join(dir, 'tls', file), text);
  const out = join(dir, 'argv');
  writeFileSync(join(dir, 'bin', 'tributary-broker'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${out}'\n`);
  chmodSync(join(dir, 'bin', 'tributary-broker'), 0o755);
  const podName = `${sts.metadata!.name}-${ordinal}`;
  const env: Record<string, string> = { PATH: `${join(dir, 'bin')}:/usr/bin:/bin` };
  for (const e of container.env!) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[e.name] = podName;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[e.name] = spec.namespace;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'status.podIP') env[e.name] = `10.1.0.${ordinal + 1}`;
  }
  const [shell, flag, script] = container.args!;
  expect([shell, flag]).toEqual(['/bin/sh', '-c']);
  const local = script!.replaceAll('/tmp/client-keystore.pem', join(dir, 'tmp', 'client-keystore.pem')).replaceAll('/etc/tributary-tls', join(dir, 'tls')).replaceAll('/etc/tributary', join(dir, 'etc')).replaceAll('/var/lib/tributary', join(dir, 'data'));
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

  it('with client TLS, the pod joins the Secret\'s tls.key and tls.crt into an owner-only keystore the broker serves SASL_SSL with', async () => {
    const certDir = join(work, 'cert');
    mkdirSync(certDir);
    const host = 'kafka-ins-1-0.kafka-ins-1-brokers.tenants.svc.cluster.local';
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(certDir, 'tls.key'), '-out', join(certDir, 'tls.crt'), '-days', '2', '-subj', '/CN=kafka', '-addext', `subjectAltName=DNS:${host}`], { stdio: 'ignore' });
    const secret = { 'tls.key': readFileSync(join(certDir, 'tls.key'), 'utf8'), 'tls.crt': readFileSync(join(certDir, 'tls.crt'), 'utf8') };
    const config = parseArgs(runPod(0, { clientTls: { secretName: 'instances-tls' } }, secret));
    expect(config.listeners).toEqual([{ name: 'PLAINTEXT', host: '0.0.0.0', port: 19092 }, { name: 'SASL_SSL', host: '0.0.0.0', port: 19093 }]);
    expect(config.advertisedListeners).toEqual([{ name: 'PLAINTEXT', host, port: 19092 }, { name: 'SASL_SSL', host, port: 19093 }]);
    expect(config.settings['listener.security.protocol.map']).toBe('PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL');
    expect(config.settings['tributary.trusted.listeners']).toBe('PLAINTEXT');
    const keystore = config.settings['ssl.keystore.location'];
    expect(keystore).toBe(join(work, '0', 'tmp', 'client-keystore.pem'));
    expect(statSync(keystore).mode & 0o777).toBe(0o600);
    expect(readFileSync(keystore, 'utf8')).toBe(secret['tls.key'] + secret['tls.crt']);
    // The broker's own listener security accepts the file, and a TLS client verifying the pod's name
    // against the Secret's certificate completes a handshake with what it builds.
    const security = resolveListenerSecurity(config).get('SASL_SSL')!;
    expect(security).toMatchObject({ tls: true, sasl: true });
    const server = createTlsServer(security.tlsOptions!, (socket) => socket.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = tlsConnect({ host: '127.0.0.1', port, servername: host, ca: secret['tls.crt'], checkServerIdentity: (_h, cert) => (cert.subjectaltname === `DNS:${host}` ? undefined : new Error(`unexpected ${cert.subjectaltname}`)) }, () => socket.once('data', (d) => resolve(d.toString())));
        socket.once('error', reject);
      });
      expect(reply).toBe('ok');
    } finally {
      server.close();
    }
  });

  it("with advertise pod-ip, the pod listens on and advertises its IP from the downward API", () => {
    const config = parseArgs(runPod(4, { advertise: 'pod-ip' }));
    expect(config.nodeId).toBe(5);
    expect(config.listeners).toEqual([{ name: 'PLAINTEXT', host: '10.1.0.5', port: 19092 }, { name: 'SASL_PLAINTEXT', host: '10.1.0.5', port: 19093 }]);
    expect(config.advertisedListeners).toEqual([{ name: 'PLAINTEXT', host: '10.1.0.5', port: 19092 }, { name: 'SASL_PLAINTEXT', host: '10.1.0.5', port: 19093 }]);
  });

  it('without the Secret mounted the pod fails before the broker starts (no broker on a half-configured listener)', () => {
    expect(() => runPod(1, { clientTls: { secretName: 'instances-tls' } })).toThrow();
  });
});
