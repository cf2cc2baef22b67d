import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PartitionLog } from '../log/partition-log.ts';
import type { TopicRegistry } from '../topics/topic-registry.ts';

const METERING_FILE = 'metering-counters.json';

/** The broker's Prometheus metrics; the operator meters billing from bytes in/out and log size. */
export class BrokerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'tributary_broker_requests_total', help: 'Requests handled, by API', labelNames: ['api'], registers: [this.registry] });
  readonly latency = new Histogram({ name: 'tributary_broker_request_seconds', help: 'Request latency by API', labelNames: ['api'], buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [this.registry] });
  readonly bytesIn = new Counter({ name: 'tributary_broker_bytes_in_total', help: 'Record bytes produced, by topic', labelNames: ['topic'], registers: [this.registry] });
  /** Record bytes sent to consumers: answered fetches only (not every pass of a long poll), never replication. */
  readonly bytesOut = new Counter({ name: 'tributary_broker_bytes_out_total', help: 'Record bytes sent to consumers in fetch responses, by topic (replication not included)', labelNames: ['topic'], registers: [this.registry] });
  readonly replicationBytesOut = new Counter({ name: 'tributary_broker_replication_bytes_out_total', help: 'Record bytes sent to follower brokers in fetch responses (replication), by topic', labelNames: ['topic'], registers: [this.registry] });
  readonly failedAuthentications = new Counter({ name: 'tributary_broker_failed_authentications_total', help: 'SASL logins refused', registers: [this.registry] });
  readonly throttleMs = new Counter({ name: 'tributary_broker_quota_throttle_ms_total', help: 'Time clients were throttled for, by quota, user and client id', labelNames: ['quota', 'user', 'client_id'], registers: [this.registry] });
  readonly throttleEvents = new Counter({ name: 'tributary_broker_quota_throttle_events_total', help: 'Responses that carried a throttle, by quota, user and client id', labelNames: ['quota', 'user', 'client_id'], registers: [this.registry] });
  readonly clientBytes = new Counter({ name: 'tributary_broker_client_bytes_total', help: 'Produce (in) and fetch (out) bytes by user and client id, for metering peak bandwidth', labelNames: ['direction', 'user', 'client_id'], registers: [this.registry] });
  readonly groupBytes = new Counter({ name: 'tributary_broker_group_bytes_out_total', help: 'Fetched bytes attributed to each consumer group (its members\' fetches)', labelNames: ['group'], registers: [this.registry] });
  readonly groupThrottleMs = new Counter({ name: 'tributary_broker_group_throttle_ms_total', help: 'Time members of each consumer group were throttled by its group quota', labelNames: ['group'], registers: [this.registry] });
  /**
   * Billing's counters: client record bytes by direction, topic, principal and listener. Replication
   * (followers' fetches) is not counted, so bytes out are what consumers read.
   */
  readonly meteredBytes = new Counter({ name: 'tributary_broker_metered_bytes_total', help: 'Client record bytes produced (in) and fetched by consumers (out), by topic, principal and listener; for billing and chargeback', labelNames: ['direction', 'topic', 'principal', 'listener'], registers: [this.registry] });
  readonly connections = new Gauge({ name: 'tributary_broker_connections', help: 'Open client connections', registers: [this.registry] });
  /** Kafka's acceptor blocking (KIP-308/402/612): connections accepted by the kernel that wait for a connection limit. */
  readonly connectionsClosedByLimits = new Counter({ name: 'tributary_broker_connections_closed_by_limit_total', help: 'Connections closed by a connection limit: reason max.connections.per.ip (refused at once), ip_connection_creation_rate (held, then closed) or max.connections (an open connection closed for the protected listener)', labelNames: ['reason'], registers: [this.registry] });
  readonly connectionsWaiting = new Gauge({ name: 'tributary_broker_connections_waiting', help: 'Connections waiting for max.connections, a listener limit or a connection creation rate before they are read', labelNames: ['listener'], registers: [this.registry] });
  #server: Server | null = null;
  /** The longest event-loop delay of the last second (event-loop-delay.ts), once the broker watches it. */
  #eventLoopDelayMs: (() => number) | null = null;
  /**
   * Since when the metered counters have counted without restarting from zero (Unix seconds): the
   * process start, or the epoch carried over a graceful restart (restoreMetering). A collector that
   * sees it change treats the counters as reset, as Prometheus' increase() treats a decrease.
   */
  meteringEpoch = Math.floor(Date.now() / 1000);

  constructor(topics: TopicRegistry, diskCapacityBytes = -1) {
    const delay = () => this.#eventLoopDelayMs?.() ?? 0;
    new Gauge({
      name: 'tributary_broker_event_loop_delay_max_seconds',
      help: 'Longest time the event loop was kept from running in the last second (requests, replication and the etcd lease keep-alive all wait that long)',
      registers: [this.registry],
      collect() {
        this.set(delay() / 1000);
      },
    });
    // Disk alerts at 80% and 95% of the capacity the instance bought (none when unlimited).
    if (diskCapacityBytes > 0) {
      new Gauge({
        name: 'tributary_broker_disk_usage_ratio',
        help: 'Log bytes over the instance disk capacity',
        registers: [this.registry],
        collect() {
          this.set(topics.totalBytes / diskCapacityBytes);
        },
      });
      new Gauge({
        name: 'tributary_broker_disk_alert',
        help: '1 when disk usage is at or above the threshold (0.8, 0.95)',
        labelNames: ['threshold'],
        registers: [this.registry],
        collect() {
          const ratio = topics.totalBytes / diskCapacityBytes;
          for (const t of [0.8, 0.95]) this.set({ threshold: String(t) }, ratio >= t ? 1 : 0);
        },
      });
    }
    new Gauge({
      name: 'tributary_broker_partitions',
      help: 'Partitions hosted',
      registers: [this.registry],
      collect() {
        this.set(topics.list().reduce((n, t) => n + t.partitions, 0));
      },
    });
    const epoch = () => this.meteringEpoch;
    new Gauge({
      name: 'tributary_broker_metering_epoch_seconds',
      help: 'Since when tributary_broker_metered_bytes_total has counted without a reset (Unix seconds); a change means the counters restarted from zero',
      registers: [this.registry],
      collect() {
        this.set(epoch());
      },
    });
    // Replicas hosted here, by topic and partition, with their log bytes: summed over an instance's
    // brokers these are the partition-replica count and the used disk that billing meters.
    this.perReplicaGauge(topics, 'tributary_broker_partition_log_bytes', 'Log bytes of each partition replica hosted by this broker', (log) => log.sizeBytes);
    // Kafka's LastStableOffsetLag: how far read_committed consumers are held behind the high
    // watermark by running transactions; a lag that only grows is a hung transaction.
    this.perReplicaGauge(topics, 'tributary_broker_last_stable_offset_lag', 'High watermark minus last stable offset of each partition replica hosted by this broker', (log) => log.highWatermark - log.lastStableOffset);
    new Gauge({
      name: 'tributary_broker_log_size_bytes',
      help: 'Bytes on disk, by topic',
      labelNames: ['topic'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const t of topics.list()) {
          let size = 0;
          for (let p = 0; p < t.partitions; p++) size += topics.log(t.name, p)?.sizeBytes ?? 0;
          this.set({ topic: t.name }, size);
        }
      },
    });
  }

  /** A gauge with one value per partition replica this broker hosts, read from its log at each scrape. */
  private perReplicaGauge(topics: TopicRegistry, name: string, help: string, value: (log: PartitionLog) => number): void {
    new Gauge({
      name,
      help,
      labelNames: ['topic', 'partition'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const t of topics.list()) {
          for (let p = 0; p < t.partitions; p++) {
            const log = topics.log(t.name, p);
            if (log) this.set({ topic: t.name, partition: String(p) }, value(log));
          }
        }
      },
    });
  }

  /**
   * Counters live in memory; a graceful stop writes the metered ones to the data directory and the
   * next start takes them back (and deletes the file at once, so a later crash never restores a stale
   * copy). Across a graceful restart the counters therefore continue with their epoch and billing
   * loses nothing; after a crash they restart from zero with a new epoch, and what was counted since
   * the last collection is lost (at most one collection interval).
   */
  restoreMetering(dataDir: string): void {
    const file = join(dataDir, METERING_FILE);
    let saved: { epoch: number; values: { labels: Record<string, string>; value: number }[] };
    try {
      saved = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      return; // none (first start or after a crash) or unreadable: counting starts from zero
    } finally {
      rmSync(file, { force: true });
    }
    if (typeof saved.epoch !== 'number' || !Array.isArray(saved.values)) return;
    this.meteringEpoch = saved.epoch;
    for (const v of saved.values) this.meteredBytes.inc(v.labels as Record<'direction' | 'topic' | 'principal' | 'listener', string>, v.value);
  }

  async saveMetering(dataDir: string): Promise<void> {
    const values = (await this.meteredBytes.get()).values.map((v) => ({ labels: v.labels, value: v.value }));
    const file = join(dataDir, METERING_FILE);
    writeFileSync(`${file}.tmp`, JSON.stringify({ epoch: this.meteringEpoch, values }));
    renameSync(`${file}.tmp`, file);
  }

  /** Where the event-loop delay gauge reads from. */
  watchEventLoopDelay(lastMaxMs: () => number): void {
    this.#eventLoopDelayMs = lastMaxMs;
  }

  async listen(port: number, host: string): Promise<number> {
    this.#server = createServer(async (req, res) => {
      if (req.url === '/metrics') {
        res.setHeader('content-type', this.registry.contentType);
        res.end(await this.registry.metrics());
      } else if (req.url === '/healthz') {
        res.end('ok');
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => this.#server!.listen(port, host, resolve));
    const address = this.#server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
