import type { IKeyValue, Lease, Namespace } from 'etcd3';
import type { Listener } from '../config/broker-config.ts';
import type { Logger } from '../logger.ts';
import type { BrokerInfo } from './cluster-metadata.ts';
import { keys, type BrokerRecord } from './cluster-view.ts';
import { PeerProbe } from './peer-probe.ts';

/** How often a registration waiting for an earlier one of the same broker id to expire tries again. */
const CLAIM_RETRY_MS = 200;

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
  /** Every lease this run was granted: a registration key under one of them is this run's own. */
  readonly #ownLeases = new Set<string>();

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
    this.#ownLeases.add(this.#leaseId);
    lease.on('lost', (err) => {
      if (this.leaving || lease !== this.#lease) return;
      this.#o.logger.log('warn', 'etcd lease lost; registering again', { error: err.message });
      this.#o.onLeaseLost();
      void this.register().catch((e: unknown) => this.#o.logger.log('error', 'etcd registration failed', { error: String(e) }));
    });
    // Without a lease: the id stays registered after the broker dies, until UnregisterBroker.
    await this.#o.ns.put(keys.brokerId(this.#o.nodeId)).value(JSON.stringify({ nodeId: this.#o.nodeId }));
    await this.#claim(lease);
    if (this.#stopped || lease !== this.#lease) return; // stopped while waiting, or lost again meanwhile (that registration carries on)
    await this.#o.onRegistered();
  }

  /**
   * The registration's first write creates `brokers/<id>`: a key still there belongs to another
   * registration of this id, under a lease that still runs — this broker's previous run, killed and
   * restarted within a session, or (misconfigured) another process with the same id. As Kafka's
   * controller refuses such a registration (DuplicateBrokerRegistrationException) until the old
   * session expires, this broker waits until that key goes: its lease runs out, or a peer's probe
   * revokes it. Overwriting it, as before 2026-12-03, kept the key's create revision, so the cluster
   * never saw the killed broker go (it stayed in every ISR) nor come back from an unclean shutdown
   * (KIP-966: `ClusterView.uncleanlyReturned` needs a registration newer than the partition state).
   * A key left by this run's own earlier lease (registering again after the lease was lost) is ours:
   * that lease is revoked at once.
   */
  async #claim(lease: Lease): Promise<void> {
    const key = keys.broker(this.#o.nodeId);
    let waiting = false;
    for (;;) {
      const res = await this.#o.ns.if(key, 'Create', '==', 0).then(this.#o.ns.put(key).value(JSON.stringify(this.#record())).lease(this.#leaseId)).else(this.#o.ns.get(key)).commit();
      if (res.succeeded) {
        this.#uncleanShutdown = false;
        if (waiting) this.#o.logger.log('info', 'registered once the earlier registration of this broker id was gone', { nodeId: this.#o.nodeId });
        return;
      }
      if (this.#stopped || lease !== this.#lease) return;
      const holder = res.responses[0]?.response_range?.kvs[0]?.lease;
      if (holder && this.#ownLeases.has(holder)) {
        await this.#o.ns.leaseClient.leaseRevoke({ ID: holder }).catch(() => undefined); // expired meanwhile: gone anyway
        continue;
      }
      if (!waiting) this.#o.logger.log('warn', 'another registration of this broker id is alive (a previous run killed less than broker.session.timeout.ms ago?); waiting for it to expire', { nodeId: this.#o.nodeId, lease: holder });
      waiting = true;
      await new Promise((r) => setTimeout(r, CLAIM_RETRY_MS));
    }
  }

  #record(): BrokerRecord {
    return { nodeId: this.#o.nodeId, rack: this.#o.rack, listeners: this.#o.advertised, ...(this.#shuttingDown ? { shuttingDown: true } : {}), ...(this.#uncleanShutdown ? { uncleanShutdown: true } : {}) };
  }

  async #put(): Promise<void> {
    await this.#o.ns.put(keys.broker(this.#o.nodeId)).value(JSON.stringify(this.#record())).lease(this.#leaseId);
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
