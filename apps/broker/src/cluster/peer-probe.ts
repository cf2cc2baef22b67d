import { connect, type Socket } from 'node:net';
import type { BrokerInfo } from './cluster-metadata.ts';

export interface PeerProbeOptions {
  nodeId: number;
  listenerName: string;
  /** Called once when a peer's process is gone (its port refuses connections after a close). */
  onDead: (nodeId: number) => void;
  /** Pause between the two refused connections that confirm a death. */
  confirmMs?: number;
}

interface Peer {
  host: string;
  port: number;
  socket: Socket | null;
  stopped: boolean;
  declared: boolean;
}

/**
 * A fast failure signal next to the etcd lease: every broker keeps an idle TCP connection to each
 * registered peer. When two connection attempts in a row are refused (after that connection closed,
 * or from the start), the peer's process is gone (killed, crashed, exited) — brokers listen before
 * they register, and the kernel refuses connections to a port nobody listens on — and the broker is
 * declared dead at once instead of after its lease runs out. A hung, paused or partitioned broker
 * does not refuse connections (attempts time out); the lease still covers those. A firewall that
 * rejects (rather than drops) traffic between two live brokers looks like a dead peer: the revoked
 * broker registers again at once, but leadership moves; `tributary.peer.probe.enable=false` turns
 * the probe off for such networks.
 */
export class PeerProbe {
  readonly #o: PeerProbeOptions;
  readonly #peers = new Map<number, Peer>();

  constructor(options: PeerProbeOptions) {
    this.#o = options;
  }

  /** Follows the registered brokers: probes new ones, drops gone ones. */
  update(brokers: BrokerInfo[]): void {
    const seen = new Set<number>();
    for (const b of brokers) {
      if (b.nodeId === this.#o.nodeId) continue;
      const l = b.listeners.find((x) => x.name === this.#o.listenerName) ?? b.listeners[0];
      if (!l) continue;
      seen.add(b.nodeId);
      const current = this.#peers.get(b.nodeId);
      if (current && current.host === l.host && current.port === l.port && !current.declared) continue;
      if (current) this.#drop(current);
      const peer: Peer = { host: l.host, port: l.port, socket: null, stopped: false, declared: false };
      this.#peers.set(b.nodeId, peer);
      this.#open(b.nodeId, peer);
    }
    for (const [id, peer] of this.#peers) {
      if (seen.has(id)) continue;
      this.#drop(peer);
      this.#peers.delete(id);
    }
  }

  stop(): void {
    for (const peer of this.#peers.values()) this.#drop(peer);
    this.#peers.clear();
  }

  #drop(peer: Peer): void {
    peer.stopped = true;
    peer.socket?.destroy();
  }

  /** Connects; while connected nothing is sent (the broker waits for a request that never comes). */
  #open(nodeId: number, peer: Peer, refusedBefore = false): void {
    if (peer.stopped) return;
    const socket = connect({ host: peer.host, port: peer.port });
    peer.socket = socket;
    let connected = false;
    socket.setKeepAlive(true, 1000);
    socket.on('connect', () => {
      connected = true;
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (connected || peer.stopped) return;
      if (err.code === 'ECONNREFUSED' && refusedBefore) {
        peer.declared = true;
        peer.stopped = true;
        this.#o.onDead(nodeId);
        return;
      }
      // Refused once: confirm shortly. Anything else (timeouts, unreachable): leave it to the lease.
      setTimeout(() => this.#open(nodeId, peer, err.code === 'ECONNREFUSED'), err.code === 'ECONNREFUSED' ? (this.#o.confirmMs ?? 50) : 500).unref();
    });
    socket.on('close', () => {
      if (!connected || peer.stopped) return;
      // The peer closed a connection it had accepted: see at once whether it still listens.
      this.#open(nodeId, peer, false);
    });
  }
}
