import { closeSync, existsSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { CoreV1Api, V1Container, V1Pod, V1PodCondition, V1PodStatus } from '@kubernetes/client-node';
import { ContainerRunner, type RestartPolicy } from './container.ts';
import { containerEnv, expand } from './env.ts';
import type { BindMount } from './launch.ts';
import { isWithin, preparePodVolumes, type PodVolumes } from './volumes.ts';

/** What an image name means on this machine: its root filesystem (or the host's), env, entrypoint and command. */
export interface AgentImage {
  /** An unpacked root filesystem to chroot into (e.g. a buildah image's mount); undefined: the host's root. */
  root?: string;
  env?: Record<string, string>;
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
}

export interface PodContext {
  core: CoreV1Api;
  images: Record<string, AgentImage>;
  /** Environment every container gets (KUBERNETES_SERVICE_HOST/PORT). */
  kubeletEnv: Record<string, string>;
  podIp: string;
  hostIp: string;
  dir: string;
  /** The agent's provisioned volumes (fsGroup is applied to these and to nothing else outside `dir`). */
  volumesDir: string;
  /** The agent's /etc/hosts for containers (Service names, see hosts.ts). */
  hostsFile: string;
  report: (pod: V1Pod, status: V1PodStatus) => Promise<void>;
}

/**
 * A subPath of a volume, created when missing as the kubelet does. A container may have made a
 * component a symlink out of its volume (CVE-2017-1002101): such a subPath is refused.
 */
function subPathOf(volume: string, subPath: string): string {
  if (isAbsolute(subPath) || subPath.split('/').includes('..')) throw new Error(`subPath ${subPath} leaves its volume`);
  const path = join(volume, subPath);
  if (!existsSync(path)) mkdirSync(path, { recursive: true });
  if (!isWithin(volume, path)) throw new Error(`subPath ${subPath} leads out of its volume`);
  return path;
}

/** The kubelet's command rule: `command` replaces the entrypoint (and drops the image's cmd), `args` replaces cmd. */
function argvOf(container: V1Container, image: AgentImage, vars: Record<string, string>): string[] {
  const command = container.command ?? image.entrypoint ?? [];
  const args = container.args ?? (container.command ? [] : image.cmd ?? []);
  const argv = [...command, ...args].map((a) => expand(a, vars));
  if (argv.length === 0) throw new Error(`container ${container.name} has no command and its image none either`);
  return argv;
}

/**
 * One pod on this node: its volumes as directories, its init containers run in order to success,
 * then its containers as local processes; status is recomputed and reported on every change.
 */
export class PodRunner {
  readonly containers: ContainerRunner[] = [];
  /** The init container running now: stop() must end it too, or its restart timer outlives the pod's log files. */
  #init: ContainerRunner | null = null;
  #logs: number[] = [];
  #stopped = false;
  #failure: string | null = null;
  #reporting: Promise<void> = Promise.resolve();
  #dirty = false;

  pod: V1Pod;
  private readonly ctx: PodContext;

  constructor(pod: V1Pod, ctx: PodContext) {
    this.pod = pod;
    this.ctx = ctx;
  }

  get key(): string {
    return `${this.pod.metadata!.namespace}/${this.pod.metadata!.name}`;
  }

  logFile(container: string): string {
    return join(this.ctx.dir, `${container}.log`);
  }

  async start(): Promise<void> {
    mkdirSync(this.ctx.dir, { recursive: true });
    const pod = { ...this.pod, status: { ...this.pod.status, podIP: this.ctx.podIp, hostIP: this.ctx.hostIp } };
    try {
      const volumes = await preparePodVolumes(this.ctx.core, pod, this.ctx.dir, this.ctx.volumesDir);
      for (const init of pod.spec!.initContainers ?? []) {
        if (this.#stopped) return;
        const runner = await this.#runner(pod, init, volumes, 'OnFailure');
        if (this.#stopped) return;
        this.#init = runner;
        runner.start();
        while (!runner.finished && !this.#stopped) await new Promise((r) => setTimeout(r, 200));
        this.#init = null;
        if (runner.finished && runner.finished.exitCode !== 0) throw new Error(`init container ${init.name} exited with ${runner.finished.exitCode}`);
      }
      for (const container of pod.spec!.containers) {
        if (this.#stopped) return;
        this.containers.push(await this.#runner(pod, container, volumes, (pod.spec!.restartPolicy ?? 'Always') as RestartPolicy));
      }
      if (this.#stopped) return; // stop() ran while the runners were prepared: nothing may start now
      for (const c of this.containers) c.start();
    } catch (err) {
      this.#failure = (err as Error).message;
    }
    this.changed();
  }

  async #runner(pod: V1Pod, container: V1Container, volumes: PodVolumes, restartPolicy: RestartPolicy): Promise<ContainerRunner> {
    const image = this.ctx.images[container.image ?? ''];
    if (!image) throw new Error(`image ${container.image} is not known to the test node agent (it pulls nothing)`);
    // Image env values may name $(POD_IP): pods share the host's network here, so an image stand-in
    // (a wrapper binding a server to its own address rather than 0.0.0.0) needs its pod's IP.
    const imageEnv = Object.fromEntries(Object.entries(image.env ?? {}).map(([k, v]) => [k, expand(v, { POD_IP: this.ctx.podIp })]));
    const env = await containerEnv(this.ctx.core, pod, container, { ...imageEnv, ...this.ctx.kubeletEnv });
    const mounts: BindMount[] = (container.volumeMounts ?? []).map((m) => {
      const source = volumes.get(m.name);
      if (!source) throw new Error(`volumeMount ${m.name} names no volume of the pod`);
      return { source: m.subPath ? subPathOf(source, m.subPath) : source, path: m.mountPath, readOnly: !!m.readOnly };
    });
    // As the kubelet does for every pod off the host network: /etc/hosts is the agent's (Service names).
    if (!mounts.some((m) => m.path === '/etc/hosts')) mounts.push({ source: this.ctx.hostsFile, path: '/etc/hosts', readOnly: true });
    const security = { ...pod.spec!.securityContext, ...container.securityContext };
    const uid = security.runAsUser;
    const user = uid === undefined ? undefined : { uid, gid: security.runAsGroup ?? uid, groups: [pod.spec!.securityContext?.fsGroup, ...(pod.spec!.securityContext?.supplementalGroups ?? [])].filter((g): g is number => g !== undefined) };
    const log = openSync(this.logFile(container.name), 'a');
    this.#logs.push(log);
    return new ContainerRunner({
      container,
      image: container.image!,
      launch: { root: image.root, scratch: join(this.ctx.dir, 'containers', container.name), mounts, workingDir: container.workingDir ?? image.workingDir ?? '/', argv: argvOf(container, image, env), env, user, logFile: log },
      podIp: this.ctx.podIp,
      restartPolicy,
      onChange: () => this.changed(),
      graceSeconds: pod.spec!.terminationGracePeriodSeconds ?? 30,
    });
  }

  /** Recomputes status and reports it (serialised; a change during a report triggers one more). */
  changed(): void {
    this.#dirty = true;
    this.#reporting = this.#reporting.then(async () => {
      if (!this.#dirty) return;
      this.#dirty = false;
      await this.ctx.report(this.pod, this.status()).catch(() => {
        this.#dirty = true; // the next change, or the agent's resync, reports again
      });
    });
  }

  status(): V1PodStatus {
    const now = new Date();
    const statuses = this.containers.map((c) => c.status());
    const allReady = statuses.length > 0 && statuses.every((s) => s.ready);
    const restartPolicy = this.pod.spec!.restartPolicy ?? 'Always';
    const finished = this.containers.length > 0 && this.containers.every((c) => c.finished);
    let phase = this.#failure ? 'Failed' : statuses.some((s) => s.state?.running) ? 'Running' : 'Pending';
    if (finished && restartPolicy !== 'Always') phase = this.containers.every((c) => c.finished!.exitCode === 0) ? 'Succeeded' : 'Failed';
    const condition = (type: string, ok: boolean): V1PodCondition => ({ type, status: ok ? 'True' : 'False', lastTransitionTime: now });
    return {
      phase,
      ...(this.#failure ? { reason: 'AgentError', message: this.#failure } : {}),
      hostIP: this.ctx.hostIp,
      hostIPs: [{ ip: this.ctx.hostIp }],
      podIP: this.ctx.podIp,
      podIPs: [{ ip: this.ctx.podIp }],
      startTime: this.pod.status?.startTime ?? now,
      qosClass: this.pod.status?.qosClass,
      conditions: [
        condition('PodScheduled', true),
        condition('Initialized', this.containers.length > 0),
        condition('ContainersReady', allReady),
        condition('Ready', allReady),
      ],
      containerStatuses: statuses,
    };
  }

  /** Stops every container within the grace period, then removes the pod's scratch volumes (not PVs). */
  async stop(graceSeconds: number): Promise<void> {
    this.#stopped = true;
    await Promise.all([...this.containers, ...(this.#init ? [this.#init] : [])].map((c) => c.stop(graceSeconds)));
    for (const fd of this.#logs) closeSync(fd);
    this.#logs = [];
    rmSync(join(this.ctx.dir, 'volumes'), { recursive: true, force: true });
  }
}
