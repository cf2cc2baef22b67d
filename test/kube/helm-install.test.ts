import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KUBE_BIN, freePort, startEtcd, startTestServices, type TestEtcd, type TestServices } from '@tributary/testkit';
import { until } from '../support/until.ts';
import { builtImages, bundledImagesProblem, devNullDamage, startAgentCluster, type AgentCluster } from './agent-cluster.ts';
import { brokerLogs, runInstanceLifecycle, type RestCall } from './instance-lifecycle.ts';

/**
 * `helm install` of helm/tributary into the real control plane (tools/kube v1.37.2), the test node
 * agent running its pods from the images docker/build-images.sh built with buildah (the control-plane
 * image for the API, its init containers and the operator, the broker image for the brokers: each
 * container in the image's own root, see agent-cluster.ts) with the chart's ServiceAccounts, so the operator works with exactly the
 * chart's Role — a missing permission fails this test. Through the API pod's HTTP port, the issue's
 * whole instance chain (instance-lifecycle.ts: objects, broker pods, kcat, a roll within the PDB,
 * scale-up, deletion by the garbage collector), then `helm uninstall` removes the release. The first
 * test uses the test's own PostgreSQL, Redis and etcd (`bundled: false`), the second the chart's
 * bundled ones as pods. Skipped where the Kubernetes binaries are not built, which includes CI.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const HELM = join(ROOT, 'node_modules/.bin/helm');
const built = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].every((c) => existsSync(join(KUBE_BIN, c)));
const run = promisify(execFile);

describe.skipIf(!built)('helm install on the real control plane, pods run by the test node agent (skipped without .cache/kube/bin, as in CI: a cold build of the Kubernetes binaries takes 98 min)', () => {
  let cluster: AgentCluster;
  let etcd: TestEtcd;
  let services: TestServices;
  let apiPort: number;
  const helm = (namespace: string, args: string[]) => run(HELM, [...args, '--kubeconfig', cluster.kube.adminKubeconfig, '--namespace', namespace], { timeout: 600_000 });

  beforeAll(async () => {
    [cluster, etcd, services] = await Promise.all([startAgentCluster(4, builtImages()), startEtcd(), startTestServices()]);
    apiPort = await freePort();
  }, 360_000);
  afterAll(async () => {
    await Promise.all([cluster?.stop(), etcd?.stop(), services?.stop()]);
    expect(devNullDamage()).toBeNull();
  }, 180_000);

  const podLogs = async (namespace: string) => {
    const pods = (await cluster.core.listNamespacedPod({ namespace })).items;
    return pods.map((p) => `${p.metadata!.name} ${p.status?.phase} ${p.status?.message ?? ''}\n${[...(p.spec!.initContainers ?? []), ...p.spec!.containers].map((c) => `[${c.name}] ${cluster.agent.logs(namespace, p.metadata!.name!, c.name).slice(-1500)}`).join('\n')}`).join('\n');
  };

  /**
   * `helm install` with `backends` (the --set flags for PostgreSQL, Redis and etcd), then the issue's
   * instance chain through the API pod (instance-lifecycle.ts), `helm uninstall`, the release gone.
   */
  const installAndRunInstance = async (namespace: string, backends: string[]) => {
    const logsOnFailure = async (err: Error) => {
      throw new Error(`${err.message}\n${await podLogs(namespace)}`);
    };
    await helm(namespace, [
      'install', 'tributary', join(ROOT, 'helm/tributary'), '--create-namespace',
      '--set', 'image.repository=tributary/control-plane', '--set', 'image.tag=dev',
      '--set', 'broker.image.repository=tributary/broker', '--set', 'broker.image.tag=dev', '--set', 'broker.advertise=pod-ip',
      ...backends,
      // One API pod on a free port, bound to its pod IP (pods share the host's network here).
      '--set', 'api.replicas=1', '--set', `api.port=${apiPort}`,
      '--set', 'api.extraEnv[0].name=HOST', '--set', 'api.extraEnv[0].valueFrom.fieldRef.fieldPath=status.podIP',
    ]);
    const ready = async (component: string) => {
      const pods = (await cluster.core.listNamespacedPod({ namespace, labelSelector: `app.kubernetes.io/component=${component}` })).items;
      return pods.find((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ?? null;
    };
    const apiPod = await until(() => ready('api'), 'the API pod ready', 300_000).catch(logsOnFailure);
    await until(() => ready('operator'), 'the operator pod ready', 240_000).catch(logsOnFailure);
    const secret = await cluster.core.readNamespacedSecret({ name: 'tributary-admin-key', namespace });
    const key = Buffer.from(secret.data!['admin-key']!, 'base64').toString();
    const base = `http://${apiPod.status!.podIP}:${apiPort}`;
    const api: RestCall = async (method, path, body) => {
      const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
      return { status: res.status, body: (await res.json()) as Awaited<ReturnType<RestCall>>['body'] };
    };
    await runInstanceLifecycle(cluster, namespace, api, () => brokerLogs(cluster, namespace)).catch(logsOnFailure);

    await helm(namespace, ['uninstall', 'tributary']);
    await until(async () => {
      const left = await Promise.all([
        cluster.core.listNamespacedPod({ namespace }),
        cluster.apps.listNamespacedDeployment({ namespace }),
        cluster.apps.listNamespacedStatefulSet({ namespace }),
        cluster.core.listNamespacedService({ namespace }),
        cluster.core.listNamespacedServiceAccount({ namespace, labelSelector: 'app.kubernetes.io/instance=tributary' }),
      ]);
      return left.every((l) => l.items.length === 0) && cluster.agent.running().length === 0 ? true : null;
    }, 'the release\'s pods, Deployments, StatefulSets, Services and ServiceAccounts gone', 180_000);
  };

  it('installs the chart, runs an instance through the API pod with the operator pod on its own RBAC, and uninstalls', async () => {
    await installAndRunInstance('tributary', [
      '--set', 'postgresql.bundled=false', '--set', `postgresql.url=${services.databaseUrl}`,
      '--set', 'redis.bundled=false', '--set', `redis.url=${services.redisUrl}`,
      '--set', 'etcd.bundled=false', '--set', `etcd.endpoints=${etcd.endpoint}`,
    ]);
  }, 1_200_000);

  // The bundled backends' Service names resolve through the agent's hosts file (hosts.ts). Until
  // 2026-12-02 they never did: the file came from EndpointSlices, which the API server refuses to
  // fill with the agent's loopback pod IPs, and the API pod's init container got ENOTFOUND.
  it('installs the chart with its bundled PostgreSQL, Redis and etcd (pods run by the agent, see agent-cluster.ts) and runs the same lifecycle on them', async () => {
    const problem = bundledImagesProblem();
    expect(problem, problem ?? '').toBeNull();
    await installAndRunInstance('tributary-bundled', []);
    // The backends were the chart's own: their pods ran (and are gone with the release), claims stay as StatefulSets leave them.
    const claims = (await cluster.core.listNamespacedPersistentVolumeClaim({ namespace: 'tributary-bundled' })).items.map((c) => c.metadata!.name).sort();
    expect(claims).toEqual(['data-tributary-etcd-0', 'data-tributary-postgresql-0', 'data-tributary-redis-0']);
  }, 1_200_000);
});
