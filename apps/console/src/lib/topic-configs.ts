/**
 * The topic settings the API accepts (libs/contracts TOPIC_CONFIG_RULES), with Kafka's meaning of
 * each, shown as help text where topics are created and edited.
 */
export const TOPIC_CONFIG_HELP: Record<string, string> = {
  'retention.ms': 'How long records are kept before deletion, in ms (-1: forever).',
  'retention.bytes': 'Largest size a partition may grow to before old segments are deleted (-1: no limit).',
  'cleanup.policy': 'delete: drop old segments; compact: keep the latest record per key; or both.',
  'min.insync.replicas': 'Replicas that must acknowledge a write sent with acks=all.',
  'max.message.bytes': 'Largest record batch the topic accepts, in bytes.',
  'segment.bytes': 'Size at which a log segment is closed and a new one started.',
  'segment.ms': 'Time after which a segment is rolled even if not full, in ms.',
  'compression.type': 'Compression of stored batches: producer keeps what the producer sent.',
  'message.timestamp.type': 'CreateTime: the producer\'s timestamp; LogAppendTime: the broker\'s.',
  'delete.retention.ms': 'How long delete markers (tombstones) stay on compacted topics, in ms.',
  'min.compaction.lag.ms': 'Minimum time a record stays uncompacted, in ms.',
  'unclean.leader.election.enable': 'Allow an out-of-sync replica to become leader (may lose data).',
};
export const TOPIC_CONFIG_NAMES = Object.keys(TOPIC_CONFIG_HELP);

/** Config rows as the form edits them → the API's map; blank rows are dropped, the last duplicate wins. */
export function configsFromRows(rows: readonly { key: string; value: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rows) if (r.key.trim()) out[r.key.trim()] = r.value.trim();
  return out;
}

/** The replication factor to suggest: the API refuses more than the brokers and, from 2 brokers, less than 2. */
export const defaultReplicationFactor = (brokers: number) => Math.max(1, Math.min(3, brokers));
