import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KUBE_BIN, startKube, startNodeAgent, type NodeAgent, type TestKube } from '@tributary/testkit';
import { until } from '../support/until.ts';

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
// The pods run on the host's root, where the agent creates missing mount points: this test's own, removed after.
const MOUNTS = '/mnt/tributary-agent-test';

// A tiny server: answers /healthz once it wrote its pod name and env into its data volume.
const SERVER = `
const fs = require('node:fs'); const http = require('node:http');
const file = '/mnt/tributary-agent-test/data/visits'; fs.appendFileSync(file, process.env.POD_NAME + ' ' + process.env.GREETING + '\\n');
http.createServer((req, res) => res.end(fs.readFileSync(file, 'utf8') + fs.readFileSync('/mnt/tributary-agent-test/config/color', 'utf8') + ' uid=' + process.getuid())).listen(8080, process.env.POD_IP);
process.on('SIGTERM', () => process.exit(0));
`;

describe.skipIf(!built)('test node agent under the real control plane (needs .cache/kube/bin)', () => {
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
  }, 420_000);
});
