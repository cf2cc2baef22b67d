import { join, resolve } from 'node:path';
import { clusterScenarios, requireFile, singleBrokerScenarios, type ClientDriver } from './client-scenarios.ts';

// confluent-kafka 2.16.1 from PyPI (pinned in scripts/setup.d/31-confluent-kafka.sh), whose wheel
// carries librdkafka 2.16: the current librdkafka, where the other confluent tests use Debian's 2.0.
// Once with the classic group protocol and once as a KIP-848 member (group.protocol=consumer).
const ROOT = resolve(import.meta.dirname, '../..');
const driverFor = (protocol: 'classic' | 'consumer'): ClientDriver => ({
  name: `confluent-kafka 2.16.1 (librdkafka 2.16), group.protocol=${protocol}`,
  tag: protocol === 'classic' ? 'ck2' : 'ck2c',
  installer: '31-confluent-kafka.sh',
  command: () => [requireFile(join(ROOT, '.cache/venv-confluent/bin/python'), '31-confluent-kafka.sh'), join(import.meta.dirname, 'python', 'confluent_driver.py'), '--group-protocol', protocol],
});

for (const protocol of ['classic', 'consumer'] as const) {
  const driver = driverFor(protocol);
  // The group protocol changes nothing but the group scenario.
  singleBrokerScenarios(driver, protocol === 'classic' ? undefined : ['group']);
  // The cluster scenarios (leader killed -9 mid-run) on Tributary and on Apache Kafka 4.4 take ~80 s
  // more per protocol, beyond CI's budget for this client: run them with TRIBUTARY_CONFLUENT2_CLUSTER=1.
  if (process.env.TRIBUTARY_CONFLUENT2_CLUSTER === '1') {
    clusterScenarios(driver);
    clusterScenarios(driver, 'Apache Kafka');
  }
}
