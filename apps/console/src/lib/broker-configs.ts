/**
 * The broker settings an instance may override (libs/contracts BROKER_CONFIG_RULES, the API's
 * allow-list), with Kafka's meaning of each, shown as help text where they are edited.
 */
export const BROKER_CONFIG_HELP: Record<string, string> = {
  'auto.create.topics.enable': 'Create a topic when a client first asks for it (true/false).',
  'default.replication.factor': 'Replication factor of topics created without one.',
  'num.partitions': 'Partitions of topics created without a count.',
  'log.retention.ms': 'How long records are kept by default, in ms (-1: forever).',
  'log.retention.bytes': 'Default size limit of a partition before old segments go (-1: no limit).',
  'log.segment.bytes': 'Default size at which a log segment is closed.',
  'message.max.bytes': 'Largest record batch the brokers accept, in bytes.',
  'min.insync.replicas': 'Default replicas that must acknowledge a write sent with acks=all.',
  'unclean.leader.election.enable': 'Allow an out-of-sync replica to become leader (may lose data).',
  'compression.type': 'Default compression of stored batches: producer keeps what was sent.',
  'offsets.retention.minutes': 'How long a consumer group\'s committed offsets are kept once it is empty.',
  'group.initial.rebalance.delay.ms': 'How long the first rebalance of a new group waits for more members.',
};
