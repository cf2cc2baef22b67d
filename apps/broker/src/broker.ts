import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { join } from 'node:path';
import { settingNumber, type BrokerConfig } from './config/broker-config.ts';
import { AppendSignal } from './handlers/append-signal.ts';
import { GroupCoordinator } from './group/coordinator.ts';
import { OffsetStore } from './group/offset-store.ts';
import type { BrokerContext } from './handlers/context.ts';
import { HANDLERS } from './handlers/index.ts';
import { ProducerIdAllocator } from './handlers/init-producer-id.ts';
import type { Logger } from './logger.ts';
import { BrokerMetrics } from './metrics/broker-metrics.ts';
import { Connection } from './net/connection.ts';
import { TopicRegistry } from './topics/topic-registry.ts';
import { FileCredentialStore } from './security/credential-store.ts';
import { resolveListenerSecurity } from './security/listener-security.ts';
import { FailedLoginLimiter } from './security/sasl-authenticator.ts';
import { FileAclStore } from './security/acl-store.ts';
import { Authorizer } from './security/authorizer.ts';
import { ClientQuotas } from './quota/client-quotas.ts';
import { FileQuotaStore } from './quota/quota-store.ts';
import { InstanceBandwidth, instanceLimits } from './quota/instance-limits.ts';

const OFFSETS_TOPIC = '__consumer_offsets';

/** A running broker: listeners, the topic registry and its logs, metrics, retention. */
export class Broker {
  readonly config: BrokerConfig;
  readonly #logger: Logger;
  readonly #ctx: BrokerContext;
  readonly #servers: Server[] = [];
  readonly #sockets = new Set<Socket>();
  #flushTimer: NodeJS.Timeout | null = null;
  metricsPort: number | null = null;

  constructor(config: BrokerConfig, logger: Logger) {
    this.config = config;
    this.#logger = logger;
    mkdirSync(config.dataDir, { recursive: true });
    // Produce requests share one fdatasync (group commit) and are acknowledged when it completes.
    const topics = new TopicRegistry(config.dataDir, config, {
      onEvent: ({ kind, topic, partition, detail }) =>
        logger.log(kind === 'error' ? 'error' : 'info', `log ${kind}`, { topic, partition, detail: detail instanceof Error ? detail.message : detail }),
    });
    // Committed offsets live in an internal compacted topic and are replayed into the coordinator on start.
    if (!topics.get(OFFSETS_TOPIC)) topics.create(OFFSETS_TOPIC, 1, { 'cleanup.policy': 'compact' });
    const groups = new GroupCoordinator(
      {
        initialRebalanceDelayMs: settingNumber(config, 'group.initial.rebalance.delay.ms'),
        minSessionTimeoutMs: settingNumber(config, 'group.min.session.timeout.ms'),
        maxSessionTimeoutMs: settingNumber(config, 'group.max.session.timeout.ms'),
        maxGroupSize: settingNumber(config, 'group.max.size'),
        offsetsRetentionMs: settingNumber(config, 'offsets.retention.minutes') * 60_000,
        offsetsRetentionCheckIntervalMs: settingNumber(config, 'offsets.retention.check.interval.ms'),
      },
      new OffsetStore(topics.log(OFFSETS_TOPIC, 0)!),
    );
    const listenerSecurity = resolveListenerSecurity(config);
    const acls = new FileAclStore(config.dataDir);
    const allowEveryone = config.settings['allow.everyone.if.no.acl.found'];
    // As Kafka: a resource nobody wrote ACLs for is closed on SASL listeners (authenticated users
    // must be granted access) and open on the others unless the setting says otherwise.
    const allowIfNoAcl = (listener: string) => (allowEveryone === '' ? !listenerSecurity.get(listener)?.sasl : allowEveryone === 'true');
    const superUsers = config.settings['super.users'].split(';').map((u) => u.trim()).filter(Boolean);
    const clientQuotaStore = new FileQuotaStore(config.dataDir);
    const limits = instanceLimits(config);
    const quotaWindow = { samples: settingNumber(config, 'quota.window.num'), sampleMs: settingNumber(config, 'quota.window.size.seconds') * 1000 };
    this.#ctx = {
      config,
      topics,
      appends: new AppendSignal(),
      groups,
      producerIds: new ProducerIdAllocator(config.dataDir),
      metrics: new BrokerMetrics(topics, limits.diskBytes),
      logger,
      clusterId: clusterId(config.dataDir),
      credentials: new FileCredentialStore(config.dataDir),
      listenerSecurity,
      acls,
      authorizer: new Authorizer(acls, superUsers, allowIfNoAcl),
      clientQuotaStore,
      clientQuotas: new ClientQuotas(clientQuotaStore, quotaWindow),
      limits,
      bandwidth: new InstanceBandwidth(limits, quotaWindow.samples, quotaWindow.sampleMs),
      failedLogins: new FailedLoginLimiter(settingNumber(config, 'tributary.sasl.failed.authentication.max.per.minute')),
      fakeSaltKey: randomBytes(32),
    };
  }

  /** Starts listening; returns the bound ports (useful when a listener asked for port 0). */
  async start(): Promise<number[]> {
    const ports: number[] = [];
    for (const l of this.config.listeners) {
      const security = this.#ctx.listenerSecurity.get(l.name)!;
      const accept = (socket: Socket) => {
        this.#sockets.add(socket);
        this.#ctx.metrics.connections.inc();
        socket.on('close', () => {
          this.#sockets.delete(socket);
          this.#ctx.metrics.connections.dec();
        });
        new Connection(socket, this.#ctx, HANDLERS, l);
      };
      // TLS listeners hand over the socket once the handshake is done; a failed handshake is that client's problem only.
      const server: Server = security.tlsOptions ? createTlsServer(security.tlsOptions, accept).on('tlsClientError', () => undefined) : createServer(accept);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(l.port, l.host, resolve);
      });
      const address = server.address();
      ports.push(typeof address === 'object' && address ? address.port : l.port);
      this.#servers.push(server);
    }
    if (this.config.metricsPort !== null) this.metricsPort = await this.#ctx.metrics.listen(this.config.metricsPort, this.config.listeners[0]!.host);
    this.#ctx.topics.startBackground();
    const flushMs = settingNumber(this.config, 'log.flush.interval.ms');
    if (flushMs > 0) {
      this.#flushTimer = setInterval(() => {
        for (const log of this.#ctx.topics.logs()) log.flush();
      }, flushMs);
      this.#flushTimer.unref();
    }
    this.#logger.log('info', 'broker started', { nodeId: this.config.nodeId, ports, dataDir: this.config.dataDir, metricsPort: this.metricsPort });
    return ports;
  }

  /** Graceful stop: no new connections, close clients, flush and close every segment. */
  async stop(): Promise<void> {
    if (this.#flushTimer) clearInterval(this.#flushTimer);
    const closed = this.#servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const s of this.#sockets) s.destroy();
    await Promise.all(closed);
    await this.#ctx.metrics.close();
    this.#ctx.groups.close();
    this.#ctx.topics.close();
    this.#logger.log('info', 'broker stopped', { nodeId: this.config.nodeId });
  }
}

/** A cluster id kept in the data directory, so it survives restarts. */
function clusterId(dataDir: string): string {
  const file = join(dataDir, 'cluster-id');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const id = randomUUID();
  writeFileSync(file, id);
  return id;
}
