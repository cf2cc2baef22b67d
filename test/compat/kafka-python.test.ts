import { join, resolve } from 'node:path';
import { clusterScenarios, referenceScenarios, requireFile, singleBrokerScenarios, type ClientDriver } from './client-scenarios.ts';

// kafka-python from PyPI (pinned in scripts/setup.d/30-python-clients.sh), in .cache/venv.
const ROOT = resolve(import.meta.dirname, '../..');
const driver: ClientDriver = {
  name: 'kafka-python 3.0.12',
  tag: 'kpy',
  installer: '30-python-clients.sh',
  // KNOWN DEFECT, owner `groups` (group coordinator rewritten in 532f219): in about one full run in
  // three on the loaded machine, after member A closes (LeaveGroup) while a rebalance is in progress,
  // the remaining member B's JoinGroup is never answered within 60 s (B: revoked → no assignment;
  // kafka-python's rebalance timeout is 300 s), as if the coordinator still waited for A. Not seen
  // against Apache Kafka 4.4 (the reference run of the same scenario) nor on the 3-broker cluster.
  singleBrokerGroupKnownDefect: 'intermittent: the remaining member is never re-assigned after the other leaves mid-rebalance — groups',
  command: () => [requireFile(join(ROOT, '.cache/venv/bin/python'), '30-python-clients.sh'), join(import.meta.dirname, 'python', 'kafka_python_driver.py')],
};

singleBrokerScenarios(driver);
clusterScenarios(driver);
referenceScenarios(driver);
