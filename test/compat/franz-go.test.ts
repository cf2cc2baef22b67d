import { join, resolve } from 'node:path';
import { clusterScenarios, requireFile, singleBrokerScenarios, type ClientDriver } from './client-scenarios.ts';

// franz-go from the Go module proxy (pinned by test/compat/go/go.mod and go.sum), built by
// scripts/setup.d/40-franz-go.sh into .cache/bin.
const ROOT = resolve(import.meta.dirname, '../..');
const driver: ClientDriver = {
  name: 'franz-go 1.22.3',
  tag: 'franz',
  installer: '40-franz-go.sh',
  command: () => [requireFile(join(ROOT, '.cache/bin/franzgo-driver'), '40-franz-go.sh')],
};

singleBrokerScenarios(driver);
clusterScenarios(driver);
// The reference: the same cluster scenarios, the leader's kill included, on a 3-node Apache Kafka 4.4.
clusterScenarios(driver, 'Apache Kafka');
