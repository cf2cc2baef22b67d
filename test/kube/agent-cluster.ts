import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig, PolicyV1Api } from '@kubernetes/client-node';
import { KUBE_BIN, buildahImage, startKube, startNodeAgent, type AgentImage, type NodeAgent, type TestKube } from '@tributary/testkit';

const ROOT = resolve(import.meta.dirname, '../..');

/** The tags docker/build-images.sh gives this checkout's images (and the tests give the chart). */
export const BROKER_IMAGE = 'tributary/broker:dev';
export const CONTROL_PLANE_IMAGE = 'tributary/control-plane:dev';

/**
 * What the two images of docker/ mean to the node agent: the host's root with this checkout's
 * `node_modules/.bin` (Node 24, `tributary-broker`) first on PATH, the images' ENV and WORKDIR (the
 * control plane's /app is the checkout). tini, their ENTRYPOINT, is dropped: the agent reaps nothing.
 */
const CHECKOUT_ONLY: Record<string, AgentImage> = {
  [BROKER_IMAGE]: { entrypoint: [], env: { PATH: `${join(ROOT, 'node_modules/.bin')}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, NODE_ENV: 'production' }, workingDir: '/' },
  [CONTROL_PLANE_IMAGE]: { entrypoint: [], cmd: ['node', 'apps/api/src/main.ts'], env: { PATH: `${join(ROOT, 'node_modules/.bin')}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, NODE_ENV: 'production', PORT: '8080', HOST: '0.0.0.0' }, workingDir: ROOT },
};

const HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const STAND_INS = join(ROOT, 'test/kube/images');
const ETCD = join(KUBE_BIN, 'etcd');
const NSS_WRAPPER = '/usr/lib/x86_64-linux-gnu/libnss_wrapper.so';

/**
 * The chart's bundled backends (values.yaml's images) as the testkit runs them: Debian's PostgreSQL 15
 * and Redis, and etcd v3.5.17 built by tools/etcd (the chart's liveness probe asks /livez, which
 * Debian's etcd 3.4 lacks). Each image's entrypoint is a stand-in in test/kube/images that does what
 * the image's own does (PostgreSQL's first-start initialisation) and binds the pod's IP
 * (`$(POD_IP)`, see the node agent's README) where the image listens on every address.
 */
const BUNDLED: Record<string, AgentImage> = {
  'postgres:15-bookworm': { entrypoint: [join(STAND_INS, 'postgres/entrypoint.sh')], cmd: [], env: { PATH: `/usr/lib/postgresql/15/bin:${HOST_PATH}`, POD_IP: '$(POD_IP)', PGHOST: '/tmp' }, workingDir: '/' },
  'redis:7-bookworm': { entrypoint: [join(STAND_INS, 'redis/entrypoint.sh')], cmd: ['redis-server'], env: { PATH: `${join(STAND_INS, 'redis/bin')}:${HOST_PATH}`, POD_IP: '$(POD_IP)' }, workingDir: '/data' },
  'quay.io/coreos/etcd:v3.5.17': { entrypoint: [], cmd: ['etcd'], env: { PATH: `${join(STAND_INS, 'etcd/bin')}:${HOST_PATH}`, POD_IP: '$(POD_IP)', TRIBUTARY_ETCD_BINARY: ETCD }, workingDir: '/' },
};

/** Why the bundled backends cannot run here, or null: what scripts/setup.d/60-kube.sh provides. */
export function bundledImagesProblem(): string | null {
  if (!existsSync(ETCD)) return `${ETCD} is missing: run TRIBUTARY_KUBE_BUILD=1 bash scripts/setup.d/60-kube.sh (builds tools/etcd)`;
  if (!existsSync(NSS_WRAPPER)) return `${NSS_WRAPPER} is missing: run TRIBUTARY_KUBE_BUILD=1 bash scripts/setup.d/60-kube.sh (installs libnss-wrapper)`;
  return null;
}

export const CHECKOUT_IMAGES: Record<string, AgentImage> = { ...CHECKOUT_ONLY, ...BUNDLED };

const IMAGE_STORAGE = { root: join(ROOT, '.cache/images/storage'), runroot: join(ROOT, '.cache/images/run') };

/**
 * docker/'s two images as docker/build-images.sh built them with buildah — the images the chart
 * ships — each container running in the image's own root (its Node, node_modules, tini), plus the
 * bundled backends' stand-ins. Throws, naming the build command, when an image is not built.
 */
export function builtImages(): Record<string, AgentImage> {
  return {
    ...BUNDLED,
    [BROKER_IMAGE]: buildahImage(IMAGE_STORAGE, `localhost/${BROKER_IMAGE}`),
    [CONTROL_PLANE_IMAGE]: buildahImage(IMAGE_STORAGE, `localhost/${CONTROL_PLANE_IMAGE}`),
  };
}

export interface AgentCluster {
  kube: TestKube;
  agent: NodeAgent;
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  policy: PolicyV1Api;
  stop(): Promise<void>;
}

/**
 * What is wrong with the host's /dev/null, or null when it is the world-writable character device
 * every service here needs (initdb fails otherwise). The kube suites check it after their run: the
 * node agent runs as root, and /dev/null was once found 0644 after these suites (issue 22).
 */
export function devNullDamage(): string | null {
  const s = statSync('/dev/null');
  if (!s.isCharacterDevice()) return '/dev/null is no longer a character device';
  return (s.mode & 0o777) === 0o666 ? null : `/dev/null has mode ${(s.mode & 0o777).toString(8)}, not 666`;
}

/**
 * The real control plane (tools/kube) with the test node agent registering `nodes` nodes and
 * running `images` (default: this checkout's files for docker/'s images, see CHECKOUT_ONLY).
 */
export async function startAgentCluster(nodes: number, images: Record<string, AgentImage> = CHECKOUT_IMAGES): Promise<AgentCluster> {
  const kube = await startKube();
  try {
    const agent = await startNodeAgent({
      kubeconfig: kube.adminKubeconfig,
      nodes: Array.from({ length: nodes }, (_, i) => ({ name: `node-${String.fromCharCode(97 + i)}` })),
      images,
      apiServer: { host: '127.0.0.1', port: Number(new URL(kube.server).port) },
    });
    const kc = new KubeConfig();
    kc.loadFromFile(kube.adminKubeconfig);
    return {
      kube, agent, kc,
      core: kc.makeApiClient(CoreV1Api),
      apps: kc.makeApiClient(AppsV1Api),
      policy: kc.makeApiClient(PolicyV1Api),
      async stop() {
        await agent.stop();
        await kube.stop();
      },
    };
  } catch (err) {
    await kube.stop();
    throw err;
  }
}
