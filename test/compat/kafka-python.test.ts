import { join, resolve } from 'node:path';
import { clusterScenarios, requireFile, singleBrokerScenarios, type ClientDriver } from './client-scenarios.ts';

// kafka-python from PyPI (pinned in scripts/setup.d/30-python-clients.sh), in .cache/venv.
const ROOT = resolve(import.meta.dirname, '../..');
const driver: ClientDriver = {
  name: 'kafka-python 3.0.12',
  tag: 'kpy',
  installer: '30-python-clients.sh',
  command: () => [requireFile(join(ROOT, '.cache/venv/bin/python'), '30-python-clients.sh'), join(import.meta.dirname, 'python', 'kafka_python_driver.py')],
};

singleBrokerScenarios(driver);
clusterScenarios(driver);
// The reference: the same cluster scenarios, the leader's kill included, on a 3-node Apache Kafka 4.4.
clusterScenarios(driver, 'Apache Kafka');
