/**
 * THE table of differences between Tributary and Apache Kafka 4.4.0 that the differential suite
 * (test/conformance) accepts. Every other difference fails a test. Two kinds:
 * - `intended`: Tributary differs on purpose; the reason says why.
 * - `known-defect`: Tributary is wrong and someone owns the fix (issue 13); listed so the suite
 *   stays green while the fix is under way. Remove the entry with the fix.
 * `scenario` and `paths` are globs (`*` = anything) over the scenario names of the suite and the
 * paths of normalise.ts's diff (e.g. `body.responses.name=t.partitionResponses.index=0.errorCode`).
 * test/conformance/README.md renders this table (`node test/conformance/render-table.ts`; a test
 * checks the README is current).
 */
export interface IntendedDifference {
  id: string;
  kind: 'intended' | 'known-defect';
  /** Who fixes a known defect (issue 13's split). */
  owner?: 'groups' | 'datapath' | 'javaadmin' | 'reference';
  /** One glob or several. */
  scenario: string | string[];
  paths: string[];
  reason: string;
}

export const INTENDED_DIFFERENCES: IntendedDifference[] = [
  // ---- intended ----
  {
    id: 'no-broker-loggers',
    kind: 'intended',
    scenario: 'list-config-resources/v1',
    paths: ['brokerLoggers.*', 'every.configResources*'],
    reason: 'Tributary has no BROKER_LOGGER config resources: it logs through one JSON logger whose level is set at start, not through log4j loggers whose levels kafka-configs can change at runtime. ListConfigResources v1 answers UNSUPPORTED_VERSION for that type (as for any type it does not have) and leaves it out of the answer to no types; DescribeConfigs of a BROKER_LOGGER is INVALID_REQUEST.',
  },
  {
    id: 'metadata-quorum-in-etcd',
    kind: 'intended',
    scenario: 'describe-quorum/v*',
    paths: ['*.highWatermark', '*.currentVoters.*.logEndOffset', 'body.nodes.*.listeners.*'],
    reason: "Tributary's metadata lives in etcd, not in a KRaft log: DescribeQuorum maps it onto one (apps/broker/src/cluster/metadata-quorum.ts). The controller leads in the epoch of its election (the create revision of etcd's `controller` key, which fences a deposed controller as the KRaft epoch does; a standalone broker 1, as a new quorum's first epoch); offsets are etcd revisions (the high watermark and leader's log end the latest committed one under the cluster's prefix, a voter's log end the revision its view has applied; standalone: 0, it keeps no metadata log); every registered broker is a voter (any may become the controller), with its advertised listeners as endpoints — there is no separate CONTROLLER listener. A dead broker is no voter (its registration is gone), where Kafka's static voters stay listed with log end -1, and neither is a live broker unregistered; kafka-metadata-quorum's output is compared with a 3-node Kafka, normalised, in admin-cluster.test.ts.",
  },
  {
    id: 'old-versions-kept',
    kind: 'intended',
    scenario: 'removed-version/*',
    paths: ['.'],
    reason: 'Kafka 4 removed these request versions (KIP-896) and closes the connection on them; Tributary keeps serving them for old clients (librdkafka with broker.version.fallback, legacy message formats: apps/broker/README.md).',
  },
  {
    id: 'old-produce-versions',
    kind: 'intended',
    scenario: ['produce/v0/append', 'produce/v1/append', 'produce/v2/append'],
    paths: ['*kind', '*body'],
    reason: 'Kafka 4 still advertises Produce v0–2 (KAFKA-18659, for librdkafka\'s version check) but closes the connection on them; Tributary serves them (legacy message formats).',
  },
  {
    id: 'api-version-ranges',
    kind: 'intended',
    scenario: 'api-versions/ranges',
    paths: ['*.min', '*.max'],
    reason: 'Tributary keeps the versions Kafka 4 removed (lower minimums, see old-versions-kept) and does not implement FindCoordinator 6 (share groups, as advertised by 4.4; apps/broker/README.md); the suite compares every version both advertise.',
  },
  {
    id: 'auto-create-synchronous',
    kind: 'intended',
    scenario: 'metadata/*',
    paths: ['*md-auto.errorCode', '*md-auto.partitions', '*md-auto.topicId', '*md-missing.errorCode', '*md-missing.partitions', '*md-missing.topicId'],
    reason: 'Auto-creation: Kafka 4 forwards the creation to its controller and answers UNKNOWN_TOPIC_OR_PARTITION (retriable) first (for Metadata v0, where auto-creation is implied, too); Tributary creates the topic before answering and returns it. Clients retry either way and end with the same topic.',
  },
  {
    id: 'transaction-state-created-synchronously',
    kind: 'intended',
    scenario: ['find-coordinator/*'],
    paths: ['transaction.*'],
    reason: 'The first FindCoordinator for a transactional id creates __transaction_state: Kafka 4 forwards the creation to its controller and answers COORDINATOR_NOT_AVAILABLE until the topic has leaders (so its answer depends on timing); Tributary creates it before answering and names the coordinator at once. Clients retry either way and reach the same coordinator.',
  },
  {
    id: 'no-fetch-sessions',
    kind: 'intended',
    scenario: 'fetch/incremental-session',
    paths: ['body.sessionId'],
    reason: 'Tributary has no fetch sessions (KIP-227): it answers every fetch in full with session id 0, which clients accept (apps/broker/README.md).',
  },
  {
    id: 'partial-batch-at-limit',
    kind: 'intended',
    scenario: 'fetch/partition-max-bytes',
    paths: ['*partitionIndex=0.records.length', '*partitionIndex=0.records.1'],
    reason: 'At a partition\'s byte limit Kafka sends the file bytes up to the limit, ending in a partial batch that clients discard; Tributary sends whole batches only. Same records reach the client.',
  },
  {
    id: 'kraft-min-insync-default',
    kind: 'intended',
    scenario: ['describe-configs/*', 'tools/topics/describe', 'create-topics/*'],
    paths: ['*min.insync.replicas.configSource', 'out.0'],
    reason: 'Kafka 4\'s storage format writes min.insync.replicas=1 as a cluster-wide dynamic default (for eligible leader replicas, KIP-966), so it shows as DYNAMIC_DEFAULT_BROKER_CONFIG (in DescribeConfigs and in the configs CreateTopics v5+ returns) and among a topic\'s non-default configs; Tributary has no dynamic broker defaults (the value is the same).',
  },

  {
    id: 'acl-invalid-pattern-error',
    kind: 'intended',
    scenario: 'create-acls/*',
    paths: ['resourceTypeAny.body.results.0.errorCode', 'patternMatch.body.results.0.errorCode'],
    reason: 'An ACL binding for resource type ANY or pattern type MATCH cannot be stored: Kafka 4.4 answers UNKNOWN_SERVER_ERROR (its authorizer throws), Tributary INVALID_REQUEST.',
  },
  {
    id: 'unparseable-enum-keeps-connection',
    kind: 'intended',
    scenario: '*-acls/*',
    paths: ['operationUnknown.kind', 'operationUnknown.body', 'invalid.kind', 'invalid.body', 'unknownOperation.kind', 'unknownOperation.body'],
    reason: 'An ACL creation, filter or deletion with operation or resource type UNKNOWN: Kafka fails while building the request and closes the connection; Tributary answers it (INVALID_REQUEST, or nothing matched) and keeps the connection (a bad field costs one answer, not the connection).',
  },
  {
    id: 'quota-entity-duplicate-type',
    kind: 'intended',
    scenario: '*-client-quotas/*',
    paths: ['*entity=user:q-dup2', '*entity=user:q-dup,user:q-dup2', '*errorsWording.user=q-dup2', '*errorsWording.user=q-dup,user=q-dup2'],
    reason: 'An AlterClientQuotas entity naming the same entity type twice: Kafka keeps the last and sets that quota; Tributary refuses the ambiguous entity with INVALID_REQUEST.',
  },
  {
    id: 'static-broker-configs',
    kind: 'intended',
    scenario: ['describe-configs/broker-selected', 'connection-limits/describe-configs'],
    paths: ['*resourceName=1.configs.name=*.readOnly'],
    reason: 'Tributary\'s broker settings are static: the operator sets them at start and AlterConfigs on a broker is refused (INVALID_REQUEST), so DescribeConfigs marks every broker config read-only; Kafka marks the ones it can change at run time (DynamicBrokerConfig) readOnly false.',
  },
  {
    id: 'own-broker-settings',
    kind: 'intended',
    scenario: 'describe-configs/broker-all',
    paths: ['configs.tributary.*', 'configs.controlled.shutdown.timeout.ms', 'configs.listener.name.*'],
    reason: 'The broker resource lists every config of Kafka\'s ConfigDef, plus Tributary\'s own settings (tributary.*, controlled.shutdown.timeout.ms: apps/broker/README.md), which Kafka has not; Kafka lists the per-listener JAAS login configs (listener.name.*.sasl.jaas.config) its test configuration sets, which Tributary has no use for (SCRAM credentials live in its credential store).',
  },
  {
    id: 'admin-requests-on-the-controller',
    kind: 'intended',
    scenario: 'cluster/non-controller/create-topics',
    paths: ['body.topics.name=cluster-diff-2.*'],
    reason: 'CreateTopics sent to a broker that is not the controller: Kafka 4 forwards it to its KRaft controller (KIP-590) and creates the topic; Tributary answers NOT_CONTROLLER, as Kafka did before KIP-590. Clients send admin requests to the controller Metadata names (on Tributary the real controller; Kafka names a random live broker) and retry on NOT_CONTROLLER, so both create the topic; only auto-creation is forwarded by Tributary (apps/broker/src/cluster/etcd-cluster.ts).',
  },
  // ---- known defects (issue 13): the owner removes the entry with the fix ----
];
