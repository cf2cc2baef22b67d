import { join, resolve } from 'node:path';
import { clusterScenarios, requireFile, singleBrokerScenarios, type ClientDriver } from './client-scenarios.ts';

// IBM/sarama from the Go module proxy (pinned by test/compat/go-sarama/go.mod and go.sum), built by
// scripts/setup.d/41-sarama.sh into .cache/bin; it speaks Kafka 2.8's request versions (its default),
// older than any other client here.
const ROOT = resolve(import.meta.dirname, '../..');
const driver: ClientDriver = {
  name: 'Sarama 1.61.1',
  tag: 'sarama',
  installer: '41-sarama.sh',
  command: () => [requireFile(join(ROOT, '.cache/bin/sarama-driver'), '41-sarama.sh')],
};

singleBrokerScenarios(driver);
// The cluster scenarios (leader killed -9 mid-run) on Tributary and, as the reference, on Apache
// Kafka 4.4 take ~80 s more, beyond CI's budget for this client: run them with
// TRIBUTARY_SARAMA_CLUSTER=1 (they passed on both on 2026-12-03, test/compat/README.md).
if (process.env.TRIBUTARY_SARAMA_CLUSTER === '1') {
  clusterScenarios(driver);
  clusterScenarios(driver, 'Apache Kafka');
}
