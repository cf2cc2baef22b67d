import type { IKeyValue, Lease, Namespace } from 'etcd3';
import type { Listener } from '../config/broker-config.ts';
import type { Logger } from '../logger.ts';
import type { BrokerInfo } from './cluster-metadata.ts';
import { keys, type BrokerRecord } from './cluster-view.ts';
import { PeerProbe } from './peer-probe.ts';

export interface RegistrationOptions {
  ns: Namespace;
  nodeId: number;
  rack: string | null;
  advertised: Listener[];
  /** The lease: the broker is dead to the cluster this long after it stops renewing it. */
  sessionTimeoutMs: number;
  logger: Logger;
  /** Declare a peer dead as soon as its port refuses connections (peer-probe.ts), not only when its lease expires. */
  probePeers: boolean;
  /** Listener name the probe connects to peers on. */
  interBrokerListener: string;
  /**
   * The broker's previous run ended without a clean stop (killed): its first registration says so
   * (`uncleanShutdown`), and the controller takes it out of every ELR it was in (KIP-966).
   */
  uncleanShutdown: boolean;
  /** Registered (again): the controller campaign follows. */
  onRegistered: () => Promise<void>;
  /** The lease was lost (e.g. a long pause): whatever was held under it, the controller key included, is gone. */
  onLeaseLost: () => void;
}

/**
 * This broker's membership of the cluster and its view of the others' liveness: its registration
 * (`brokers/<id>`) under a lease kept alive by etcd3, registered again after the lease is lost, and
 * marked `shuttingDown` for a controlled shutdown; the peers' leases, revoked as soon as the peer
 * probe finds a peer's port refusing connections, so a kill -9 is acted on in about 100 ms instead
 * of the lease time.
 */
export class BrokerRegistration {
  readonly #o: RegistrationOptions;
  #lease: Lease | null = null;
  #leaseId = '';
  #shuttingDown = false;
  #stopped = false;
  /** Until the first registration is written: a registration again after a lost lease is the same run. */
  #uncleanShutdown: boolean;
  /** Lease of each broker's registration: revoking it removes a broker the probe found dead. */
  readonly #brokerLeases = new Map<number, string>();
  readonly #probe: PeerProbe | null;

  constructor(options: RegistrationOptions) {
    this.#o = options;
    this.#uncleanShutdown = options.uncleanShutdown;
    this.#probe = options.probePeers ? new PeerProbe({ nodeId: options.nodeId, listenerName: options.interBrokerListener, onDead: (id) => void this.#revokeDead(id) }) : null;
  }

  /** The current lease ('' before the first registration): the controller key is held under it. */
  get leaseId(): string {
    return this.#leaseId;
  }

  /** True once a controlled shutdown or stop began: no campaign, no registering again. */
  get leaving(): boolean {
    return this.#stopped || this.#shuttingDown;
  }

  /** Lease, registration, then `onRegistered`; again after the lease is lost. */
  async register(): Promise<void> {
    const lease = this.#o.ns.lease(Math.max(1, Math.ceil(this.#o.sessionTimeoutMs / 1000)), { autoKeepAlive: true });
    this.#lease = lease;
    this.#leaseId = await lease.grant();
    lease.on('lost', (err) => {
      if (this.leaving || lease !== this.#lease) return;
      this.#o.logger.log('warn', 'etcd lease lost; registering again', { error: err.message });
      this.#o.onLeaseLost();
      void this.register().catch((e: unknown) => this.#o.logger.log('error', 'etcd registration failed', { error: String(e) }));
    });
    // Without a lease: the id stays registered after the broker dies, until UnregisterBroker.
    await this.#o.ns.put(keys.brokerId(this.#o.nodeId)).value(JSON.stringify({ nodeId: this.#o.nodeId }));
    await this.#put();
    await this.#o.onRegistered();
  }

  async #put(): Promise<void> {
    const record: BrokerRecord = { nodeId: this.#o.nodeId, rack: this.#o.rack, listeners: this.#o.advertised, ...(this.#shuttingDown ? { shuttingDown: true } : {}), ...(this.#uncleanShutdown ? { uncleanShutdown: true } : {}) };
    await this.#o.ns.put(keys.broker(this.#o.nodeId)).value(JSON.stringify(record)).lease(this.#leaseId);
    this.#uncleanShutdown = false;
  }

  /** Controlled shutdown: the registration says so, and the controller moves leadership away. */
  async announceShutdown(): Promise<void> {
    this.#shuttingDown = true;
    await this.#put();
  }

  /** The broker is about to close its listeners: peers will see it go; losing the lease now is expected. */
  beginStop(): void {
    this.#shuttingDown = true;
  }

  /** A `brokers/<id>` key changed: remember its lease (revoked if the probe finds the peer gone). */
  noteBrokerKey(key: string, kv: IKeyValue, deleted: boolean): void {
    if (!key.startsWith('brokers/')) return;
    const id = Number(key.slice('brokers/'.length));
    if (deleted) this.#brokerLeases.delete(id);
    else if (kv.lease && kv.lease !== '0') this.#brokerLeases.set(id, kv.lease);
  }

  /** The registered brokers changed: the probe watches the new set. */
  peersChanged(brokers: BrokerInfo[]): void {
    this.#probe?.update(brokers);
  }

  /** A peer's process is gone: revoke its lease now, which removes its registration for everyone. */
  async #revokeDead(nodeId: number): Promise<void> {
    const lease = this.#brokerLeases.get(nodeId);
    if (!lease || this.#stopped) return;
    this.#o.logger.log('warn', 'peer refuses connections; revoking its registration', { peer: nodeId });
    try {
      await this.#o.ns.leaseClient.leaseRevoke({ ID: lease });
    } catch {
      // Already revoked (by another broker, or it expired): nothing to do.
    }
  }

  /** Revoking deletes the registration and the controller key at once, so others need not wait for the TTL. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#probe?.stop();
    try {
      await this.#lease?.revoke();
    } catch {
      // etcd unreachable: the lease simply expires
    }
  }
}
