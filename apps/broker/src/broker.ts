import { FileGroupConfigStore } from './config/group-configs.ts';
import { ReadBufferPool } from './log/read-buffers.ts';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { join } from 'node:path';
import { interBrokerListenerName, settingNumber, type BrokerConfig } from './config/broker-config.ts';
import { AppendSignal } from './log/append-signal.ts';
import { consumerAssignors, migrationPolicy } from './group/coordinator.ts';
import { GroupCoordinators } from './group/group-coordinators.ts';
import type { BrokerContext, HandlerEntry } from './handlers/context.ts';
import { HANDLERS } from './handlers/index.ts';
import { ProducerIdAllocator } from './txn/producer-id-allocator.ts';
import type { Logger } from './logger.ts';
import { BrokerMetrics } from './metrics/broker-metrics.ts';
import { EventLoopDelay } from './metrics/event-loop-delay.ts';
import { StallWatchdog } from './metrics/stall-watchdog.ts';
import { Connection } from './net/connection.ts';
import { ConnectionAcceptor } from './net/connection-acceptor.ts';
import { ConnectionLimits } from './net/connection-limits.ts';
import { connectionLimitSettings } from './net/connection-limit-settings.ts';
import { TopicRegistry } from './topics/topic-registry.ts';
import { OFFSETS_TOPIC, offsetsTopicConfigs } from './topics/internal-topics.ts';
import { topicNumber } from './topics/topic-configs.ts';
import { FileCredentialStore } from './security/credential-store.ts';
import { resolveListenerSecurity, trustedListeners } from './security/listener-security.ts';
import { FailedLoginLimiter } from './security/sasl-authenticator.ts';
import { FileAclStore } from './security/acl-store.ts';
import { Authorizer } from './security/authorizer.ts';
import { ClientQuotas } from './quota/client-quotas.ts';
import { timerDelay } from './timer-delay.ts';
import { FileQuotaStore } from './quota/quota-store.ts';
import { InstanceBandwidth, instanceLimits } from './quota/instance-limits.ts';
import { PeerGroupCount } from './quota/peer-group-count.ts';
import { GroupCreations } from './quota/group-creations.ts';
import type { ClusterMetadata } from './cluster/cluster-metadata.ts';
import { takeCleanShutdownMarker, writeCleanShutdownMarker } from './cluster/clean-shutdown-marker.ts';
import { EtcdCluster } from './cluster/etcd-cluster.ts';
import { defaultFeatureLevels } from './cluster/features.ts';
import { ReplicaFetcher } from './cluster/replica-fetcher.ts';
import { ReplicaManager, type RoleChange } from './cluster/replica-manager.ts';
import { StandaloneCluster } from './cluster/standalone.ts';
import { BROKER_CONFIGS, CLIENT_METRICS_CONFIGS, EtcdAclStore, EtcdCredentialStore, EtcdGroupConfigStore, EtcdQuotaStore } from './cluster/etcd-stores.ts';
import { ReplicationThrottle } from './cluster/replication-throttle.ts';
import type { CoordinatorSettings } from './group/coordinator.ts';
import { TransactionCoordinators } from './txn/transaction-coordinators.ts';
import { TRANSACTION_STATE_TOPIC } from './txn/transaction-state-store.ts';
import { writeMarkers } from './txn/marker-sender.ts';


/** A running broker: listeners, the topic registry and its logs, metrics, retention. */
export class Broker {
  readonly config: BrokerConfig;
  readonly #logger: Logger;
  readonly #ctx: BrokerContext;
  readonly #servers: Server[] = [];
  readonly #sockets = new Set<Socket>();
  #acceptor: ConnectionAcceptor | null = null;
  #flushTimer: NodeJS.Timeout | null = null;
  #loopDelay: EventLoopDelay | null = null;
  #stallWatchdog: StallWatchdog | null = null;
  readonly #etcd: EtcdCluster | null;
  readonly #fetcher: ReplicaFetcher | null;
  metricsPort: number | null = null;

  readonly #handlers: ReadonlyMap<number, HandlerEntry>;

  /** `handlers`: the API table (handlers/index.ts, built by handlers/registry.ts); tests pass a changed copy to reach paths no client can. */
  constructor(config: BrokerConfig, logger: Logger, handlers: ReadonlyMap<number, HandlerEntry> = HANDLERS) {
    this.config = config;
    this.#handlers = handlers;
    this.#logger = logger;
    mkdirSync(config.dataDir, { recursive: true });
    // Produce requests share one fdatasync (group commit) and are acknowledged when it completes.
    const topics = new TopicRegistry(config.dataDir, config, {
      onEvent: ({ kind, topic, partition, detail }) =>
        logger.log(kind === 'error' ? 'error' : 'info', `log ${kind}`, { topic, partition, detail: detail instanceof Error ? detail.message : detail }),
    });
    const clustered = config.etcdEndpoints.length > 0;
    // Committed offsets live in an internal compacted topic, created on the first FindCoordinator
    // for a group (as Kafka); each group's partition is replayed into a coordinator by whichever
    // broker leads it (a standalone broker leads them all). An existing topic keeps its partition
    // count, as in Kafka (a broker upgraded from one partition keeps its groups where they are).
    const offsetsPartitions = settingNumber(config, 'offsets.topic.num.partitions');
    const groupSettings: CoordinatorSettings = {
      initialRebalanceDelayMs: settingNumber(config, 'group.initial.rebalance.delay.ms'),
      minSessionTimeoutMs: settingNumber(config, 'group.min.session.timeout.ms'),
      maxSessionTimeoutMs: settingNumber(config, 'group.max.session.timeout.ms'),
      maxGroupSize: settingNumber(config, 'group.max.size'),
      offsetsRetentionMs: settingNumber(config, 'offsets.retention.minutes') * 60_000,
      offsetsRetentionCheckIntervalMs: settingNumber(config, 'offsets.retention.check.interval.ms'),
      consumer: {
        sessionTimeoutMs: settingNumber(config, 'group.consumer.session.timeout.ms'),
        heartbeatIntervalMs: settingNumber(config, 'group.consumer.heartbeat.interval.ms'),
        assignors: consumerAssignors(config.settings['group.consumer.assignors'] ?? ''),
        maxSize: settingNumber(config, 'group.consumer.max.size'),
        regexRefreshIntervalMs: settingNumber(config, 'group.consumer.regex.refresh.interval.ms'),
      },
      migrationPolicy: migrationPolicy(config.settings['group.consumer.migration.policy'] ?? 'bidirectional'),
    };
    const appends = new AppendSignal();
    const etcd = clustered
      ? new EtcdCluster({
          endpoints: config.etcdEndpoints,
          clusterId: config.clusterId!,
          nodeId: config.nodeId,
          rack: config.rack,
          advertised: config.advertisedListeners,
          interBrokerListener: interBrokerListenerName(config),
          sessionTimeoutMs: settingNumber(config, 'broker.session.timeout.ms'),
          topics,
          logger,
          uncleanLeaderElection: config.settings['unclean.leader.election.enable'] === 'true',
          minInsyncReplicas: settingNumber(config, 'min.insync.replicas'),
          uncleanShutdown: !takeCleanShutdownMarker(config.dataDir),
          leaderRebalanceIntervalMs: config.settings['auto.leader.rebalance.enable'] === 'true' ? settingNumber(config, 'leader.imbalance.check.interval.seconds') * 1000 : 0,
          onChange: () => this.#ctx.replicas.reconcile(),
          probePeers: config.settings['tributary.peer.probe.enable'] === 'true',
          defaultFeatures: defaultFeatureLevels(Number(config.settings['tributary.transaction.version'])),
        })
      : null;
    this.#etcd = etcd;
    const cluster: ClusterMetadata = etcd ?? new StandaloneCluster(config, topics);
    // The replication throttles (KIP-73): dynamic broker configs shared through etcd, or a file standalone.
    const brokerConfigs = etcd ? new EtcdGroupConfigStore(etcd.store, BROKER_CONFIGS) : new FileGroupConfigStore(config.dataDir, 'broker-configs.json');
    const replicationThrottle = new ReplicationThrottle({
      nodeId: config.nodeId,
      brokerConfigs,
      topicConfigs: (topic) => topics.get(topic)?.configs,
      inIsr: (topic, partition, replicaId) => this.#ctx.replicas.inIsr(topic, partition, replicaId),
    });
    this.#fetcher = etcd
      ? new ReplicaFetcher({
          throttle: replicationThrottle,
          nodeId: config.nodeId,
          topics,
          logger,
          listenerName: interBrokerListenerName(config),
          brokers: () => cluster.brokers(),
          maxWaitMs: settingNumber(config, 'replica.fetch.wait.max.ms'),
          partitionMaxBytes: settingNumber(config, 'replica.fetch.max.bytes'),
        })
      : null;
    const replicas = new ReplicaManager({
      nodeId: config.nodeId,
      topics,
      metadata: cluster,
      appends,
      replicaLagTimeMaxMs: settingNumber(config, 'replica.lag.time.max.ms'),
      minInsyncReplicas: (topic) => topicNumber(config, topics.get(topic)?.configs ?? {}, 'min.insync.replicas'),
      ...(etcd ? { writeIsr: (t: string, p: number, e: number, isr: number[]) => etcd.writeIsr(t, p, e, isr) } : {}),
      onRole: (change) => this.#onRole(change),
    });
    const groups = new GroupCoordinators({
      topics,
      cluster,
      replicas,
      settings: groupSettings,
      numPartitions: offsetsPartitions,
      replicationFactor: settingNumber(config, 'offsets.topic.replication.factor'),
      topicConfigs: offsetsTopicConfigs(config.settings),
      logger,
      // Whatever a coordinator writes (commits, group metadata, tombstones, expiry) moves the high
      // watermark and wakes followers and long-polling readers, as a produced batch does.
      appended: (partition) => {
        replicas.onLeaderAppend(OFFSETS_TOPIC, partition);
        appends.notify();
      },
    });
    const listenerSecurity = resolveListenerSecurity(config);
    // A cluster shares users, ACLs and quotas through etcd; a standalone broker keeps them in files.
    const acls = etcd ? new EtcdAclStore(etcd.store) : new FileAclStore(config.dataDir);
    const allowEveryone = config.settings['allow.everyone.if.no.acl.found'];
    // As Kafka: a resource nobody wrote ACLs for is closed on SASL listeners (authenticated users
    // must be granted access) and open on the others unless the setting says otherwise.
    const allowIfNoAcl = (listener: string) => (allowEveryone === '' ? !listenerSecurity.get(listener)?.sasl : allowEveryone === 'true');
    const superUsers = config.settings['super.users'].split(';').map((u) => u.trim()).filter(Boolean);
    const clientQuotaStore = etcd ? new EtcdQuotaStore(etcd.store) : new FileQuotaStore(config.dataDir);
    const limits = instanceLimits(config);
    const producerIds = new ProducerIdAllocator(config.dataDir, etcd ? (size) => etcd.allocateProducerIds(size) : null);
    const transactions = new TransactionCoordinators({
      topics,
      cluster,
      replicas,
      newProducerId: () => producerIds.next(),
      writeMarkers: (m, coordinatorEpoch) => writeMarkers({ replicas, groups, notify: () => appends.notify(), minInsyncReplicas: (topic) => topicNumber(config, topics.get(topic)?.configs ?? {}, 'min.insync.replicas'), cluster, nodeId: config.nodeId, listenerName: interBrokerListenerName(config) }, m, coordinatorEpoch),
      appended: (partition) => {
        replicas.onLeaderAppend(TRANSACTION_STATE_TOPIC, partition);
        appends.notify();
      },
      minInsyncReplicas: (topic) => topicNumber(config, topics.get(topic)?.configs ?? {}, 'min.insync.replicas'),
      logger,
      numPartitions: settingNumber(config, 'transaction.state.log.num.partitions'),
      replicationFactor: settingNumber(config, 'transaction.state.log.replication.factor'),
      settings: config.settings,
      maxTimeoutMs: settingNumber(config, 'transaction.max.timeout.ms'),
      abortIntervalMs: settingNumber(config, 'transaction.abort.timed.out.transaction.cleanup.interval.ms'),
      idExpirationMs: settingNumber(config, 'transactional.id.expiration.ms'),
      expireIntervalMs: settingNumber(config, 'transaction.remove.expired.transaction.cleanup.interval.ms'),
    });
    const quotaWindow = { samples: settingNumber(config, 'quota.window.num'), sampleMs: settingNumber(config, 'quota.window.size.seconds') * 1000 };
    this.#ctx = {
      config,
      topics,
      appends,
      groups,
      producerIds,
      transactions,
      metrics: new BrokerMetrics(topics, limits.diskBytes),
      logger,
      clusterId: config.clusterId ?? clusterId(config.dataDir),
      credentials: etcd ? new EtcdCredentialStore(etcd.store) : new FileCredentialStore(config.dataDir),
      listenerSecurity,
      groupConfigs: etcd ? new EtcdGroupConfigStore(etcd.store) : new FileGroupConfigStore(config.dataDir),
      clientMetricsConfigs: etcd ? new EtcdGroupConfigStore(etcd.store, CLIENT_METRICS_CONFIGS) : new FileGroupConfigStore(config.dataDir, 'client-metrics.json'),
      brokerConfigs,
      replicationThrottle,
      readBuffers: new ReadBufferPool(),
      acls,
      authorizer: new Authorizer(acls, superUsers, allowIfNoAcl, trustedListeners(config)),
      clientQuotaStore,
      clientQuotas: new ClientQuotas(clientQuotaStore, quotaWindow),
      limits,
      peerGroups: new PeerGroupCount({ cluster, nodeId: config.nodeId, listenerName: interBrokerListenerName(config) }),
      groupCreations: new GroupCreations(),
      bandwidth: new InstanceBandwidth(limits, quotaWindow.samples, quotaWindow.sampleMs),
      failedLogins: new FailedLoginLimiter(settingNumber(config, 'tributary.sasl.failed.authentication.max.per.minute')),
      fakeSaltKey: randomBytes(32),
      cluster,
      replicas,
    };
  }

  /** Follows role changes: replica fetching, and the coordinators of the `__transaction_state` and `__consumer_offsets` partitions led here. */
  #onRole(change: RoleChange): void {
    const log = this.#ctx.topics.log(change.topic, change.partition);
    this.#logger.log('info', 'partition role changed', { ...change, logEndOffset: log?.logEndOffset, highWatermark: log?.highWatermark });
    if (change.kind === 'follower') this.#fetcher?.assign(change.topic, change.partition, change.leader, change.leaderEpoch);
    else this.#fetcher?.remove(change.topic, change.partition);
    if (change.topic === TRANSACTION_STATE_TOPIC) {
      // A new leader of a __transaction_state partition loads its transactions and finishes those decided but not completed.
      if (change.kind === 'leader') queueMicrotask(() => this.#ctx.transactions.loadLed());
      else this.#ctx.transactions.resign(change.partition);
      return;
    }
    if (change.topic !== OFFSETS_TOPIC) return;
    // The new leader of a __consumer_offsets partition loads its groups from its replica of the log and coordinates them.
    if (change.kind === 'leader') queueMicrotask(() => this.#ctx.groups.loadLed());
    else this.#ctx.groups.resign(change.partition);
  }

  /** Starts listening; returns the bound ports (useful when a listener asked for port 0). */
  async start(): Promise<number[]> {
    const ports: number[] = [];
    // Connection limits (max.connections*, creation rates, the ip quota) decide which accepted connections become Connections.
    const limits = new ConnectionLimits(await connectionLimitSettings(this.config));
    const acceptor = new ConnectionAcceptor({
      limits,
      ipThrottleMs: (ip) => this.#ctx.clientQuotas.recordConnection(ip).throttleMs,
      logger: this.#logger,
      closedByLimit: (reason) => this.#ctx.metrics.connectionsClosedByLimits.inc({ reason }),
      waitingChanged: (listener, waiting) => this.#ctx.metrics.connectionsWaiting.set({ listener }, waiting),
      open: (socket, listenerName) => {
        this.#sockets.add(socket);
        this.#ctx.metrics.connections.inc();
        socket.on('close', () => {
          this.#sockets.delete(socket);
          this.#ctx.metrics.connections.dec();
        });
        new Connection(socket, this.#ctx, this.#handlers, this.config.listeners.find((x) => x.name === listenerName)!);
      },
    });
    this.#acceptor = acceptor;
    for (const l of this.config.listeners) {
      const security = this.#ctx.listenerSecurity.get(l.name)!;
      const accept = (socket: Socket) => acceptor.accept(l.name, socket);
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
    // Watched from before the etcd registration: a stall long enough to lose the lease is logged.
    this.#loopDelay = new EventLoopDelay({ logger: this.#logger });
    this.#ctx.metrics.watchEventLoopDelay(() => this.#loopDelay?.lastMaxMs ?? 0);
    // And while it lasts: a broker stuck for good (or killed before it recovers) still leaves a line.
    this.#stallWatchdog = new StallWatchdog({ fields: { component: 'broker', nodeId: this.config.nodeId } });
    // Listeners first: once registered in etcd, other brokers and clients are told to connect here.
    if (this.#etcd) await this.#etcd.start();
    this.#ctx.replicas.start();
    this.#ctx.metrics.restoreMetering(this.config.dataDir);
    if (this.config.metricsPort !== null) this.metricsPort = await this.#ctx.metrics.listen(this.config.metricsPort, this.config.listeners[0]!.host);
    this.#ctx.topics.startBackground();
    // Transactions decided before a restart get their markers; running ones their timeout.
    this.#ctx.transactions.loadLed();
    // Groups with members come back with their sessions running; their offsets expire again.
    this.#ctx.groups.loadLed();
    const flushMs = settingNumber(this.config, 'log.flush.interval.ms');
    if (flushMs > 0) {
      this.#flushTimer = setInterval(() => {
        for (const log of this.#ctx.topics.logs()) log.flush();
      }, timerDelay(flushMs));
      this.#flushTimer.unref();
    }
    this.#logger.log('info', 'broker started', { nodeId: this.config.nodeId, ports, dataDir: this.config.dataDir, metricsPort: this.metricsPort });
    return ports;
  }

  /** Graceful stop: no new connections, close clients, flush and close every segment. */
  async stop(): Promise<void> {
    if (this.#etcd && this.config.settings['controlled.shutdown.enable'] === 'true') {
      await this.#etcd.controlledShutdown(() => this.#ctx.replicas.ledPartitions().length, settingNumber(this.config, 'controlled.shutdown.timeout.ms'));
    }
    this.#etcd?.beginStop();
    if (this.#flushTimer) clearInterval(this.#flushTimer);
    this.#ctx.replicas.stop();
    await this.#fetcher?.stop();
    await this.#etcd?.stop();
    const closed = this.#servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    this.#acceptor?.close();
    for (const s of this.#sockets) s.destroy();
    await Promise.all(closed);
    // Every client is gone: the metered counters are final and are kept for the next start.
    await this.#ctx.metrics.saveMetering(this.config.dataDir);
    await this.#ctx.metrics.close();
    this.#ctx.transactions.close();
    this.#ctx.groups.close();
    this.#ctx.topics.close();
    this.#loopDelay?.stop();
    await this.#stallWatchdog?.stop();
    // Only a clustered broker is judged by it (its next registration says whether this run ended cleanly).
    if (this.#etcd) writeCleanShutdownMarker(this.config.dataDir);
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
