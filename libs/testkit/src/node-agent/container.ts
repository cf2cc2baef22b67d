import type { ChildProcess } from 'node:child_process';
import type { V1Container, V1ContainerStatus, V1Probe } from '@kubernetes/client-node';
import { containerPid, execInContainer, killGroup, launchContainer, type LaunchSpec } from './launch.ts';
import { probeOnce, probeTarget } from './probes.ts';

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

interface Terminated { exitCode: number; reason: string; startedAt: Date; finishedAt: Date }

/** Back-off between restarts: 1 s doubling to 16 s (the kubelet's is 10 s to 5 min; tests want it short). */
const BACKOFF_START_MS = 1000;
const BACKOFF_MAX_MS = 16_000;

/**
 * One container of a pod as a local process: started, restarted by the pod's restartPolicy with a
 * back-off, probed (startup, then readiness and liveness; a failed liveness probe restarts it), and
 * stopped with its preStop hook, SIGTERM and SIGKILL at the end of the grace period. `onChange`
 * tells the pod something its status shows has changed.
 */
export class ContainerRunner {
  #proc: ChildProcess | null = null;
  #startedAt: Date | null = null;
  #restartCount = 0;
  #lastTerminated: Terminated | null = null;
  #terminated: Terminated | null = null;
  #started = false;
  #ready = false;
  #stopping = false;
  #backoffMs = BACKOFF_START_MS;
  #timers = new Set<NodeJS.Timeout>();
  #exited: Promise<void> = Promise.resolve();
  #waitingReason = 'ContainerCreating';

  readonly container: V1Container;
  readonly image: string;
  private readonly launch: LaunchSpec;
  private readonly podIp: string;
  private readonly restartPolicy: RestartPolicy;
  private readonly onChange: () => void;
  /** The pod's terminationGracePeriodSeconds: how long a probe-failed container gets after SIGTERM. */
  private readonly graceSeconds: number;

  constructor(options: { container: V1Container; image: string; launch: LaunchSpec; podIp: string; restartPolicy: RestartPolicy; onChange: () => void; graceSeconds: number }) {
    this.container = options.container;
    this.image = options.image;
    this.launch = options.launch;
    this.podIp = options.podIp;
    this.restartPolicy = options.restartPolicy;
    this.onChange = options.onChange;
    this.graceSeconds = options.graceSeconds;
  }

  get ready(): boolean {
    return this.#ready;
  }

  get running(): boolean {
    return this.#proc !== null;
  }

  /** Exit status when it ended for good (restartPolicy Never / OnFailure after success). */
  get finished(): Terminated | null {
    return this.#terminated;
  }

  start(): void {
    if (this.#stopping) return;
    const proc = launchContainer(this.launch);
    this.#proc = proc;
    this.#startedAt = new Date();
    this.#started = !this.container.startupProbe;
    this.#ready = false;
    this.#exited = new Promise((resolve) => proc.once('exit', (code, signal) => {
      this.#onExit(proc, code ?? (signal ? 128 + 15 : 1), signal ? 'Error' : code === 0 ? 'Completed' : 'Error');
      resolve();
    }));
    proc.once('error', () => undefined); // 'exit' follows; spawn errors are reported as exit 127 by sh
    this.#scheduleProbes();
    this.onChange();
  }

  #onExit(proc: ChildProcess, exitCode: number, reason: string): void {
    if (this.#proc !== proc) return;
    this.#proc = null;
    this.#ready = false;
    this.#started = false;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    const terminated = { exitCode, reason, startedAt: this.#startedAt ?? new Date(), finishedAt: new Date() };
    const restart = !this.#stopping && (this.restartPolicy === 'Always' || (this.restartPolicy === 'OnFailure' && exitCode !== 0));
    if (restart) {
      this.#lastTerminated = terminated;
      this.#restartCount++;
      this.#waitingReason = 'CrashLoopBackOff';
      const delay = this.#backoffMs;
      this.#backoffMs = Math.min(BACKOFF_MAX_MS, this.#backoffMs * 2);
      this.#timer(delay, () => this.start());
    } else {
      this.#terminated = terminated;
    }
    this.onChange();
  }

  #timer(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  async #probe(probe: V1Probe): Promise<boolean> {
    const target = probeTarget(probe, this.container);
    const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
    if (target.kind !== 'exec') return probeOnce(target, this.podIp, timeoutMs);
    const pid = this.#proc?.pid === undefined ? null : containerPid(this.#proc.pid);
    if (pid === null) return false;
    return (await execInContainer(pid, target.command, this.launch.env, this.launch.user, timeoutMs)) === 0;
  }

  /** Runs one probe kind on its period, counting consecutive results against its thresholds. */
  #loop(probe: V1Probe, kind: 'startup' | 'readiness' | 'liveness', proc: ChildProcess, first: boolean): void {
    const period = (probe.periodSeconds ?? 10) * 1000;
    const delay = first ? (probe.initialDelaySeconds ?? 0) * 1000 : period;
    let failures = 0;
    let successes = 0;
    const tick = async () => {
      if (this.#proc !== proc || this.#stopping) return;
      const ok = await this.#probe(probe).catch(() => false);
      if (this.#proc !== proc || this.#stopping) return;
      if (ok) {
        failures = 0;
        successes++;
      } else {
        successes = 0;
        failures++;
      }
      if (kind === 'startup') {
        if (ok) {
          this.#started = true;
          this.#backoffMs = BACKOFF_START_MS;
          this.#startMainProbes(proc);
          this.onChange();
          return;
        }
        if (failures >= (probe.failureThreshold ?? 3)) return this.#kill(proc);
      } else if (kind === 'readiness') {
        const ready = ok ? successes >= (probe.successThreshold ?? 1) || this.#ready : failures < (probe.failureThreshold ?? 3) && this.#ready;
        if (ready !== this.#ready) {
          this.#ready = ready;
          this.onChange();
        }
      } else if (!ok && failures >= (probe.failureThreshold ?? 3)) {
        return this.#kill(proc);
      }
      this.#timer(period, () => void tick());
    };
    this.#timer(delay, () => void tick());
  }

  #startMainProbes(proc: ChildProcess): void {
    if (this.container.readinessProbe) this.#loop(this.container.readinessProbe, 'readiness', proc, true);
    else {
      this.#ready = true;
      this.onChange();
    }
    if (this.container.livenessProbe) this.#loop(this.container.livenessProbe, 'liveness', proc, true);
  }

  #scheduleProbes(): void {
    const proc = this.#proc!;
    if (this.container.startupProbe) this.#loop(this.container.startupProbe, 'startup', proc, true);
    else this.#startMainProbes(proc);
  }

  /** A failed liveness or startup probe: the kubelet kills the container and restartPolicy decides. */
  #kill(proc: ChildProcess): void {
    const pid = proc.pid === undefined ? null : containerPid(proc.pid);
    if (pid !== null) process.kill(pid, 'SIGTERM');
    this.#timer(this.graceSeconds * 1000, () => killGroup(proc));
  }

  /** preStop, SIGTERM, then SIGKILL when `graceSeconds` run out; resolves when the process is gone. */
  async stop(graceSeconds: number): Promise<void> {
    this.#stopping = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    const proc = this.#proc;
    if (!proc) return;
    const deadline = Date.now() + graceSeconds * 1000;
    const kill = setTimeout(() => killGroup(proc), graceSeconds * 1000);
    const preStop = this.container.lifecycle?.preStop;
    const pid = proc.pid === undefined ? null : containerPid(proc.pid);
    if (preStop?.exec?.command && pid !== null) await execInContainer(pid, preStop.exec.command, this.launch.env, this.launch.user, Math.max(0, deadline - Date.now()));
    const stillPid = proc.pid === undefined ? null : containerPid(proc.pid);
    if (stillPid !== null) {
      try {
        process.kill(stillPid, 'SIGTERM');
      } catch {
        // It exited meanwhile.
      }
    }
    await this.#exited;
    clearTimeout(kill);
    killGroup(proc); // anything the container left behind in its process group
  }

  status(): V1ContainerStatus {
    const state: V1ContainerStatus['state'] = this.#proc
      ? { running: { startedAt: this.#startedAt! } }
      : this.#terminated
        ? { terminated: { ...this.#terminated } }
        : { waiting: { reason: this.#waitingReason } };
    return {
      name: this.container.name,
      image: this.image,
      imageID: `tributary-test-agent://${this.image}`,
      containerID: this.#proc?.pid !== undefined ? `tributary-test-agent://${this.#proc.pid}` : undefined,
      ready: this.#ready,
      started: this.#started,
      restartCount: this.#restartCount,
      state,
      ...(this.#lastTerminated ? { lastState: { terminated: { ...this.#lastTerminated } } } : {}),
    };
  }
}
