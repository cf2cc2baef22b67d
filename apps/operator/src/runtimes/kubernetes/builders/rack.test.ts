import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { afterAll, describe, expect, it } from 'vitest';
import type { KubeClusterSpec, OwnerRef } from '../spec.ts';
import { brokerStartScript, buildStatefulSet } from './statefulset.ts';
import { RACK_DIR, RACK_FILE, RACK_SCRIPT, ZONE_LABEL } from './rack.ts';

const owner: OwnerRef = { apiVersion: 'v1', kind: 'ConfigMap', name: 'kafka-ins-1-instance', uid: '5b0c1f0e-0000-4000-8000-000000000001' };
const spec = (over: Partial<KubeClusterSpec> = {}): KubeClusterSpec => ({
  instanceId: 'ins-1', namespace: 'tenants', brokers: 3, image: 'ghcr.io/tributary/broker:0.1.0', bandwidthMBps: 100, diskGiB: 200, brokerConfig: {}, configHash: 'abc', etcdEndpoints: ['http://etcd:2379'], ...over,
});
const dir = mkdtempSync(join(tmpdir(), 'reassign-rack-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the start script with a stand-in tributary-broker that prints its arguments, one a line. */
function brokerArgs(script: string, rackFile: string): string[] {
  const bin = join(dir, 'bin');
  execFileSync('mkdir', ['-p', bin]);
  writeFileSync(join(bin, 'tributary-broker'), '#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n');
  chmodSync(join(bin, 'tributary-broker'), 0o755);
  const out = execFileSync('/bin/sh', ['-c', script.replaceAll(RACK_FILE, rackFile)], {
    env: { PATH: `${bin}:/usr/bin:/bin`, POD_NAME: 'kafka-ins-1-2', HEADLESS_SERVICE: 'h', POD_NAMESPACE: 'n', TRIBUTARY_ETCD_ENDPOINTS: 'e', TRIBUTARY_INSTANCE_ID: 'ins-1' },
    encoding: 'utf8',
  });
  return out.trim().split('\n');
}

describe('broker.rack from the node zone on Kubernetes (builders/rack.ts)', () => {
  it('with `rack`: an init container with the node name and only its own projected token; the broker mounts the rack file read-only and has no token; the StatefulSet stays valid', () => {
    const sts = buildStatefulSet(spec({ rack: { serviceAccountName: 'tributary-broker' } }), owner);
    expect(() => new StatefulSet(sts).validate()).not.toThrow();
    const pod = sts.spec!.template.spec!;
    expect(pod.serviceAccountName).toBe('tributary-broker');
    expect(pod.automountServiceAccountToken).toBe(false);
    const [init] = pod.initContainers!;
    expect(init!.command!.slice(0, 2)).toEqual(['node', '-e']);
    expect(init!.env).toEqual([{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }]);
    const token = pod.volumes!.find((v) => v.projected)!;
    expect(token.projected!.sources!.map((s) => Object.keys(s)[0])).toEqual(['serviceAccountToken', 'configMap']);
    expect(init!.volumeMounts!.map((m) => m.name)).toContain(token.name);
    const broker = pod.containers[0]!;
    expect(broker.volumeMounts!.map((m) => m.name)).not.toContain(token.name);
    expect(broker.volumeMounts!.find((m) => m.mountPath === RACK_DIR)).toMatchObject({ readOnly: true });
    expect(init!.volumeMounts!.find((m) => m.mountPath === RACK_DIR)?.readOnly).toBeFalsy();
    expect(init!.securityContext).toEqual(broker.securityContext);
  });

  it('without `rack`: no init container, no service account, no rack in the start script', () => {
    const pod = buildStatefulSet(spec(), owner).spec!.template.spec!;
    expect(pod.initContainers).toBeUndefined();
    expect(pod.serviceAccountName).toBeUndefined();
    expect(brokerStartScript({ kafka: 9092, sasl: 9093, metrics: 9404 }, { clustered: true })).not.toContain('rack');
  });

  it('the start script passes the zone the init container wrote as --rack, and no --rack when the node had none', () => {
    const script = brokerStartScript({ kafka: 9092, sasl: 9093, metrics: 9404 }, { clustered: true, rack: true });
    const file = join(dir, 'rack');
    writeFileSync(file, 'eu-west-1b');
    const args = brokerArgs(script, file);
    expect(args[args.indexOf('--rack') + 1]).toBe('eu-west-1b');
    expect(args[args.indexOf('--node-id') + 1]).toBe('3');
    writeFileSync(file, '');
    expect(brokerArgs(script, file)).not.toContain('--rack');
    expect(brokerArgs(script, join(dir, 'missing'))).not.toContain('--rack');
  });

  it('the init program reads the node from the API with the token and writes its zone label', async () => {
    const seen: { url?: string; auth?: string } = {};
    const server = createServer((req, res) => {
      seen.url = req.url;
      seen.auth = req.headers.authorization;
      res.writeHead(req.url === '/api/v1/nodes/node-b' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url === '/api/v1/nodes/node-b' ? { metadata: { name: 'node-b', labels: { [ZONE_LABEL]: 'zone-b' } } } : { kind: 'Status' }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      writeFileSync(join(dir, 'token'), 'sa-token');
      writeFileSync(join(dir, 'ca.crt'), '');
      // The same program over plain HTTP to a local stand-in for the API server (the TLS options stay as they are).
      const program = RACK_SCRIPT.replaceAll('/var/run/secrets/tributary-rack', dir).replaceAll(RACK_FILE, join(dir, 'rack-out')).replace("require('node:https')", "require('node:http')");
      const run = (node: string) => new Promise<number>((resolve) => {
        const p = spawn(process.execPath, ['-e', program], { env: { NODE_NAME: node, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(port) }, stdio: 'ignore' });
        p.on('exit', (code) => resolve(code ?? -1));
      });
      expect(await run('node-b')).toBe(0);
      expect(readFileSync(join(dir, 'rack-out'), 'utf8')).toBe('zone-b');
      expect(seen).toEqual({ url: '/api/v1/nodes/node-b', auth: 'Bearer sa-token' });
      // An API that refuses (here 404) fails the init container rather than starting a broker without its rack.
      expect(await run('node-x')).toBe(1);
    } finally {
      server.close();
    }
  });
});
