import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TopicRegistry } from '../topics/topic-registry.ts';

/** The broker's Prometheus metrics; the operator meters billing from bytes in/out and log size. */
export class BrokerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'tributary_broker_requests_total', help: 'Requests handled, by API', labelNames: ['api'], registers: [this.registry] });
  readonly latency = new Histogram({ name: 'tributary_broker_request_seconds', help: 'Request latency by API', labelNames: ['api'], buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [this.registry] });
  readonly bytesIn = new Counter({ name: 'tributary_broker_bytes_in_total', help: 'Record bytes produced, by topic', labelNames: ['topic'], registers: [this.registry] });
  readonly bytesOut = new Counter({ name: 'tributary_broker_bytes_out_total', help: 'Record bytes fetched, by topic', labelNames: ['topic'], registers: [this.registry] });
  readonly failedAuthentications = new Counter({ name: 'tributary_broker_failed_authentications_total', help: 'SASL logins refused', registers: [this.registry] });
  readonly throttleMs = new Counter({ name: 'tributary_broker_quota_throttle_ms_total', help: 'Time clients were throttled for, by quota, user and client id', labelNames: ['quota', 'user', 'client_id'], registers: [this.registry] });
  readonly throttleEvents = new Counter({ name: 'tributary_broker_quota_throttle_events_total', help: 'Responses that carried a throttle, by quota, user and client id', labelNames: ['quota', 'user', 'client_id'], registers: [this.registry] });
  readonly clientBytes = new Counter({ name: 'tributary_broker_client_bytes_total', help: 'Produce (in) and fetch (out) bytes by user and client id, for metering peak bandwidth', labelNames: ['direction', 'user', 'client_id'], registers: [this.registry] });
  readonly groupBytes = new Counter({ name: 'tributary_broker_group_bytes_out_total', help: 'Fetched bytes attributed to each consumer group (its members\' fetches)', labelNames: ['group'], registers: [this.registry] });
  readonly groupThrottleMs = new Counter({ name: 'tributary_broker_group_throttle_ms_total', help: 'Time members of each consumer group were throttled by its group quota', labelNames: ['group'], registers: [this.registry] });
  readonly connections = new Gauge({ name: 'tributary_broker_connections', help: 'Open client connections', registers: [this.registry] });
  #server: Server | null = null;

  constructor(topics: TopicRegistry, diskCapacityBytes = -1) {
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
