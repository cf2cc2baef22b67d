import { mkdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { BrokerClusterSpec, BrokerObservation, BrokerRuntime, ClusterObservation } from '../runtime.ts';
import { readClusterState, writeClusterState, type LocalBrokerState, type LocalClusterState } from './cluster-state.ts';
import { clientListener, instanceListeners, instanceSecurityArgs, listenerLayout, type ClientTls } from '../listeners.ts';
import { freeLoopbackPort } from './free-port.ts';
import { isProcessAlive, MARKER_VARIABLE, spawnDetached, stopProcess } from './processes.ts';

export interface LocalRuntimeOptions {
  /** Everything of every instance lives under here: `<rootDir>/<instanceId>/`. */
  rootDir: string;
  /** How to start a broker: command and leading args, e.g. [process.execPath, '/path/to/tributary-broker']. */
  brokerCommand: [string, ...string[]];
  /** Extra flags for every broker, e.g. ['--etcd-endpoints', 'http://127.0.0.1:2379']. */
  extraBrokerArgs?: (spec: BrokerClusterSpec) => string[];
  /** Internal address (default 127.0.0.1): the trusted operator/API/replication listener binds here only. */
  host?: string;
  /** Client-facing address of the SASL listener (bound and advertised); default: `host`. */
  clientHost?: string;
  /** TLS for every instance's client endpoint (SASL_SSL); none: SASL_PLAINTEXT. */
  clientTls?: ClientTls | null;
  /** SIGTERM grace before SIGKILL; controlled shutdown may take up to the broker's controlled.shutdown.timeout.ms (15 s). */
  stopGraceMs?: number;
  /**
   * The zones this machine stands for (e.g. zone-a,zone-b,zone-c): broker n is placed in zone
   * (n - 1) mod count and started with it as `--rack`, as brokers spread over zones on Kubernetes
   * get their node's zone (kubernetes/builders/statefulset.ts). Node ids, hence zones, stay with a
   * broker across restarts. None: brokers have no rack.
   */
  zones?: readonly string[];
}

/** The zone the local runtime places broker `nodeId` in (round robin by node id), or null without zones. */
export function localZone(zones: readonly string[] | undefined, nodeId: number): string | null {
  return zones && zones.length > 0 ? zones[(nodeId - 1) % zones.length]! : null;
}

/**
 * Brokers as child processes on free loopback ports. Ports are chosen once and persisted so that an
 * instance keeps its bootstrap servers across restarts; processes are detached so that an operator
 * restart re-adopts them instead of killing them.
 */
export class LocalRuntime implements BrokerRuntime {
  readonly name = 'local' as const;
  readonly #options: Required<Omit<LocalRuntimeOptions, 'extraBrokerArgs' | 'clientHost' | 'clientTls' | 'zones'>> & Pick<LocalRuntimeOptions, 'extraBrokerArgs' | 'zones'> & { clientHost: string; clientTls: ClientTls | null };
  readonly listenerLayout: string;
  /** Serialises changes per instance: the supervisor and a reconcile must not both start broker 2. */
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(options: LocalRuntimeOptions) {
    const host = options.host ?? '127.0.0.1';
    this.#options = { stopGraceMs: 30_000, ...options, host, clientHost: options.clientHost ?? host, clientTls: options.clientTls ?? null };
    this.listenerLayout = listenerLayout(this.#options.clientTls);
  }

  instanceDir(instanceId: string): string {
    return join(this.#options.rootDir, instanceId);
  }

  async ensureBrokers(spec: BrokerClusterSpec): Promise<ClusterObservation> {
    return this.#withLock(spec.instanceId, async () => {
      const state = await this.#loadOrCreateState(spec);
      for (const broker of state.brokers) {
        if (broker.nodeId > spec.brokers) {
          if (broker.pid !== null) await stopProcess(broker.pid, this.#marker(spec.instanceId, broker.nodeId), this.#options.stopGraceMs);
        } else if (!this.#isRunning(spec.instanceId, broker)) {
          if (broker.pid !== null) broker.restarts += 1;
          await this.#start(spec, broker);
        }
      }
      state.brokers = state.brokers.filter((b) => b.nodeId <= spec.brokers);
      await writeClusterState(this.#stateFile(spec.instanceId), state);
      return this.#observeState(state);
    });
  }

  async restartBroker(spec: BrokerClusterSpec, nodeId: number): Promise<void> {
    await this.#withLock(spec.instanceId, async () => {
      const state = await this.#loadOrCreateState(spec);
      const broker = state.brokers.find((b) => b.nodeId === nodeId);
      if (!broker) throw new Error(`instance ${spec.instanceId} has no broker ${nodeId}`);
      if (broker.pid !== null) await stopProcess(broker.pid, this.#marker(spec.instanceId, nodeId), this.#options.stopGraceMs);
      await this.#start(spec, broker);
      await writeClusterState(this.#stateFile(spec.instanceId), state);
    });
  }

  async observe(instanceId: string): Promise<ClusterObservation | null> {
    const state = await readClusterState(this.#stateFile(instanceId));
    return state ? this.#observeState(state) : null;
  }

  async deleteCluster(instanceId: string): Promise<void> {
    await this.#withLock(instanceId, async () => {
      const state = await readClusterState(this.#stateFile(instanceId));
      for (const broker of state?.brokers ?? []) {
        if (broker.pid !== null) await stopProcess(broker.pid, this.#marker(instanceId, broker.nodeId), this.#options.stopGraceMs);
      }
      await rm(this.instanceDir(instanceId), { recursive: true, force: true });
    });
  }

  /**
   * Stops every broker of an instance but keeps its data and ports (the next ensureBrokers restarts
   * them). All at once: the whole instance goes down, so one broker's controlled shutdown need not
   * wait for another's.
   */
  async stopCluster(instanceId: string): Promise<void> {
    await this.#withLock(instanceId, async () => {
      const state = await readClusterState(this.#stateFile(instanceId));
      if (!state) return;
      await Promise.all(state.brokers.map((broker) => (broker.pid !== null ? stopProcess(broker.pid, this.#marker(instanceId, broker.nodeId), this.#options.stopGraceMs) : undefined)));
      for (const broker of state.brokers) broker.pid = null;
      await writeClusterState(this.#stateFile(instanceId), state);
    });
  }

  /** Ids of instances that have state on disk (for re-adoption after an operator restart). */
  async knownInstances(): Promise<string[]> {
    const { readdir } = await import('node:fs/promises');
    try {
      return (await readdir(this.#options.rootDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch {
      return [];
    }
  }

  async #loadOrCreateState(spec: BrokerClusterSpec): Promise<LocalClusterState> {
    const state = (await readClusterState(this.#stateFile(spec.instanceId))) ?? { instanceId: spec.instanceId, brokers: [] };
    for (let nodeId = 1; nodeId <= spec.brokers; nodeId++) {
      if (!state.brokers.some((b) => b.nodeId === nodeId)) {
        state.brokers.push({
          nodeId,
          internalPort: await freeLoopbackPort(this.#options.host),
          saslPort: await freeLoopbackPort(this.#options.clientHost),
          metricsPort: await freeLoopbackPort(this.#options.host),
          configHash: null,
          pid: null,
          restarts: 0,
        });
      }
    }
    for (const b of state.brokers) {
      b.saslPort ??= await freeLoopbackPort(this.#options.clientHost);
      // State from before issue 14's layout: a fresh internal port that was never given to clients.
      b.internalPort ??= await freeLoopbackPort(this.#options.host);
    }
    state.brokers.sort((a, b) => a.nodeId - b.nodeId);
    return state;
  }

  async #start(spec: BrokerClusterSpec, broker: LocalBrokerState): Promise<void> {
    const dir = join(this.instanceDir(spec.instanceId), `broker-${broker.nodeId}`);
    await mkdir(join(dir, 'data'), { recursive: true });
    const [command, ...leading] = this.#options.brokerCommand;
    // This start uses the current layout: the legacy client-facing PLAINTEXT port is given up for good.
    delete broker.port;
    const listener = instanceListeners({ internal: { host: this.#options.host, port: broker.internalPort! }, client: { host: this.#options.clientHost, port: broker.saslPort! } }, this.#options.clientTls);
    const rack = localZone(this.#options.zones, broker.nodeId);
    const args = [
      ...leading,
      '--node-id', String(broker.nodeId),
      '--listeners', listener,
      '--advertised-listeners', listener,
      '--data-dir', join(dir, 'data'),
      '--metrics-port', String(broker.metricsPort),
      ...Object.entries(spec.brokerConfig).flatMap(([key, value]) => ['--set', `${key}=${value}`]),
      // After the instance's settings, so that nothing there can loosen them (the API allow-lists
      // settings anyway): which listener is trusted and what the client listener offers.
      ...instanceSecurityArgs(this.#options.clientTls),
      // Brokers of one instance register in etcd under the instance id and elect a controller there.
      ...(spec.cluster ? ['--etcd-endpoints', spec.cluster.etcdEndpoints, '--cluster-id', spec.cluster.clusterId] : []),
      // The zone it is placed in: Metadata reports it and the controller and the operator's planner spread replicas over racks.
      ...(rack ? ['--rack', rack] : []),
      ...(this.#options.extraBrokerArgs?.(spec) ?? []),
    ];
    // The marker lets a later operator tell its broker from an unrelated process that reused the pid.
    const env = { ...process.env, [MARKER_VARIABLE]: this.#marker(spec.instanceId, broker.nodeId) };
    broker.pid = spawnDetached(command, args, join(dir, 'broker.log'), env);
    broker.configHash = spec.configHash;
  }

  #isRunning(instanceId: string, broker: LocalBrokerState): boolean {
    return broker.pid !== null && isProcessAlive(broker.pid, this.#marker(instanceId, broker.nodeId));
  }

  async #observeState(state: LocalClusterState): Promise<ClusterObservation> {
    const brokers: BrokerObservation[] = await Promise.all(
      state.brokers.map(async (b) => {
        const running = this.#isRunning(state.instanceId, b);
        // A broker started before the current layout still listens on its legacy port until its
        // restart (the roll that migrates it): that is where the operator reaches it meanwhile.
        const internalPort = b.port ?? b.internalPort!;
        return {
          nodeId: b.nodeId,
          address: `${this.#options.host}:${internalPort}`,
          metricsAddress: `${this.#options.host}:${b.metricsPort}`,
          running,
          ready: running && (await acceptsConnections(this.#options.host, internalPort)),
          configHash: running ? b.configHash : null,
          restarts: b.restarts,
        };
      }),
    );
    return {
      instanceId: state.instanceId,
      brokers,
      internalBootstrapServers: brokers.map((b) => b.address),
      clientBootstrapServers: state.brokers.filter((b) => b.saslPort).map((b) => `${this.#options.clientHost}:${b.saslPort}`),
      clientSecurityProtocol: clientListener(this.#options.clientTls),
    };
  }

  #marker(instanceId: string, nodeId: number): string {
    return `tributary:${instanceId}:broker-${nodeId}`;
  }

  #stateFile(instanceId: string): string {
    return join(this.instanceDir(instanceId), 'cluster.json');
  }

  async #withLock<T>(instanceId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(instanceId) ?? Promise.resolve();
    const next = previous.then(work, work);
    this.#locks.set(instanceId, next.catch(() => undefined));
    return next;
  }
}

function acceptsConnections(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
