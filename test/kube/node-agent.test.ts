import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KUBE_BIN, startKube, startNodeAgent, type NodeAgent, type TestKube } from '@tributary/testkit';
import { until } from '../support/until.ts';
import { devNullDamage } from './agent-cluster.ts';

const waitFor = (check: () => Promise<boolean>, what: string, ms: number) => until(async () => ((await check()) ? true : null), what, ms);

/**
 * The test node agent under the real control plane (tools/kube v1.37.2): the controller manager makes
 * a StatefulSet's pods and claims, the agent provisions volumes and registers two nodes, the
 * scheduler binds one pod to each (required anti-affinity), the agent runs them as local processes
 * as uid 10001 with their volumes, env and probes, and readiness reaches the StatefulSet's status;
 * a deleted pod comes back with its volume's data; deleting the StatefulSet stops the processes.
 * Runs only where `TRIBUTARY_KUBE_BUILD=1 bash scripts/setup.d/60-kube.sh` built the binaries (CI
 * does not yet: a cold build takes over an hour here; issue 22).
 */
const ROOT = resolve(import.meta.dirname, '../..');
const built = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].every((c) => existsSync(join(KUBE_BIN, c)));
const NODE = join(ROOT, 'node_modules/.bin/node');
// Mount points that do not exist on the host: the agent makes them inside the pod's own root (an
// overlay over the host's), so they must never appear on the host.
const MOUNTS = '/mnt/tributary-agent-test';

// A tiny server: answers /healthz once it wrote its pod name and env into its data volume.
const SERVER = `
const fs = require('node:fs'); const http = require('node:http');
const file = '/mnt/tributary-agent-test/data/visits'; fs.appendFileSync(file, process.env.POD_NAME + ' ' + process.env.GREETING + '\\n');
http.createServer((req, res) => res.end(fs.readFileSync(file, 'utf8') + fs.readFileSync('/mnt/tributary-agent-test/config/color', 'utf8') + ' uid=' + process.getuid())).listen(8080, process.env.POD_IP);
process.on('SIGTERM', () => process.exit(0));
`;

describe.skipIf(!built)('test node agent under the real control plane (skipped without .cache/kube/bin, as in CI: a cold build of the Kubernetes binaries takes 98 min)', () => {
  let kube: TestKube;
  let agent: NodeAgent;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  beforeAll(async () => {
    kube = await startKube();
    const kc = new KubeConfig();
    kc.loadFromFile(kube.adminKubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    agent = await startNodeAgent({
      kubeconfig: kube.adminKubeconfig,
      nodes: [{ name: 'node-a' }, { name: 'node-b' }],
      images: { 'test/node:1': { entrypoint: [NODE], env: { PATH: '/usr/bin:/bin' } } },
      apiServer: { host: '127.0.0.1', port: Number(new URL(kube.server).port) },
    });
  }, 300_000);
  afterAll(async () => {
    await agent?.stop();
    await kube?.stop();
    rmSync(MOUNTS, { recursive: true, force: true });
    expect(devNullDamage()).toBeNull();
  }, 120_000);

  const pods = async () => (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=web' })).items;
  const fetchPod = async (pod: V1Pod) => (await fetch(`http://${pod.status!.podIP}:8080/`)).text();

  it('runs the pods of a StatefulSet with volumes, env and probes, restores a deleted pod with its data, and stops them on deletion', async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'web' }, data: { color: 'teal' } } });
    await apps.createNamespacedStatefulSet({
      namespace: 'default',
      body: {
        metadata: { name: 'web' },
        spec: {
          serviceName: 'web', replicas: 2, podManagementPolicy: 'Parallel', selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: {
              securityContext: { runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001 },
              terminationGracePeriodSeconds: 10,
              affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }] } },
              containers: [{
                name: 'web', image: 'test/node:1', args: ['-e', SERVER],
                env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }, { name: 'GREETING', value: 'hello-$(POD_NAME)' }],
                ports: [{ name: 'http', containerPort: 8080 }],
                readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1 },
                volumeMounts: [{ name: 'data', mountPath: `${MOUNTS}/data` }, { name: 'config', mountPath: `${MOUNTS}/config`, readOnly: true }],
              }],
              volumes: [{ name: 'config', configMap: { name: 'web' } }],
            },
          },
          volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
        },
      },
    });
    await waitFor(async () => (await apps.readNamespacedStatefulSet({ name: 'web', namespace: 'default' })).status?.readyReplicas === 2, 'both pods ready', 180_000);
    const running = await pods();
    expect(new Set(running.map((p) => p.spec!.nodeName))).toEqual(new Set(['node-a', 'node-b']));
    const web0 = running.find((p) => p.metadata!.name === 'web-0')!;
    expect(await fetchPod(web0)).toBe('web-0 hello-web-0\nteal uid=10001');
    const claims = (await core.listNamespacedPersistentVolumeClaim({ namespace: 'default' })).items;
    expect(claims.map((c) => `${c.metadata!.name} ${c.status!.phase}`).sort()).toEqual(['data-web-0 Bound', 'data-web-1 Bound']);

    await core.deleteNamespacedPod({ name: 'web-0', namespace: 'default' });
    await waitFor(async () => {
      const again = (await pods()).find((p) => p.metadata!.name === 'web-0');
      return !!again && again.metadata!.uid !== web0.metadata!.uid && again.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
    }, 'web-0 replaced and ready', 120_000);
    const replaced = (await pods()).find((p) => p.metadata!.name === 'web-0')!;
    expect(await fetchPod(replaced)).toBe('web-0 hello-web-0\nweb-0 hello-web-0\nteal uid=10001');

    await apps.deleteNamespacedStatefulSet({ name: 'web', namespace: 'default' });
    await waitFor(async () => (await pods()).length === 0 && agent.running().length === 0, 'pods gone and their processes stopped', 120_000);
    await expect(fetchPod(replaced)).rejects.toThrow();
    expect(existsSync(MOUNTS), `${MOUNTS} was created on the host`).toBe(false);
  }, 420_000);

  it('changes nothing outside its own directories: mount points, a foreign hostPath volume, /dev/null', async () => {
    // A volume someone else made (a hostPath PV): fsGroup must not chown or chmod it, as the kubelet
    // manages no ownership of hostPath volumes. A mount point through the host's /var/run -> /run link.
    const hostDir = mkdtempSync(join(tmpdir(), 'agent-foreign-volume-'));
    chmodSync(hostDir, 0o755); // readable by the pod's user; mkdtemp makes it 0700
    writeFileSync(join(hostDir, 'seed'), 'seeded');
    const probe = `/var/run/tributary-agent-probe-${process.pid}`;
    const before = statSync(hostDir);
    try {
      await core.createPersistentVolume({ body: { metadata: { name: 'foreign' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'manual', hostPath: { path: hostDir, type: 'Directory' }, claimRef: { namespace: 'default', name: 'foreign' } } } });
      await core.createNamespacedPersistentVolumeClaim({ namespace: 'default', body: { metadata: { name: 'foreign' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'manual', volumeName: 'foreign', resources: { requests: { storage: '1Gi' } } } } });
      await waitFor(async () => (await core.readNamespacedPersistentVolumeClaim({ name: 'foreign', namespace: 'default' })).status?.phase === 'Bound', 'the foreign claim bound', 60_000);
      await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'probe' }, stringData: { token: 's3cret' } } });
      const reader = `
const fs = require('node:fs'); const http = require('node:http');
fs.writeFileSync('${probe}/written', 'by the pod');
http.createServer((req, res) => res.end(fs.readFileSync('/foreign/seed', 'utf8') + ' ' + fs.readFileSync('/secret/token', 'utf8') + ' ' + fs.readFileSync('${probe}/written', 'utf8'))).listen(8080, process.env.POD_IP);
process.on('SIGTERM', () => process.exit(0));`;
      await core.createNamespacedPod({
        namespace: 'default',
        body: {
          metadata: { name: 'confined', labels: { app: 'confined' } },
          spec: {
            nodeName: 'node-a', terminationGracePeriodSeconds: 5,
            securityContext: { runAsUser: 10001, runAsGroup: 10001, fsGroup: 4242 },
            containers: [{
              name: 'reader', image: 'test/node:1', args: ['-e', reader],
              env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
              ports: [{ name: 'http', containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1 },
              volumeMounts: [{ name: 'foreign', mountPath: '/foreign', readOnly: true }, { name: 'probe', mountPath: probe }, { name: 'secret', mountPath: '/secret', readOnly: true }],
            }],
            volumes: [{ name: 'foreign', persistentVolumeClaim: { claimName: 'foreign' } }, { name: 'probe', emptyDir: {} }, { name: 'secret', secret: { secretName: 'probe' } }],
          },
        },
      });
      const ready = await until(async () => {
        const pod = await core.readNamespacedPod({ name: 'confined', namespace: 'default' });
        return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? pod : null;
      }, 'the confined pod ready', 120_000, () => agent.logs('default', 'confined', 'reader'));
      expect(await fetchPod(ready)).toBe('seeded s3cret by the pod');
      await core.deleteNamespacedPod({ name: 'confined', namespace: 'default' });
      await waitFor(async () => agent.running().length === 0, 'the confined pod stopped', 60_000);

      const after = statSync(hostDir);
      expect({ mode: after.mode, uid: after.uid, gid: after.gid }).toEqual({ mode: before.mode, uid: before.uid, gid: before.gid });
      expect(readdirSync(hostDir)).toEqual(['seed']);
      expect(existsSync(probe), `${probe} was created on the host`).toBe(false);
      expect(devNullDamage()).toBeNull();
    } finally {
      rmSync(hostDir, { recursive: true, force: true });
      rmSync(probe, { recursive: true, force: true });
    }
  }, 300_000);
});
