import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterUuid, kafkaClasspath, kafkaMetadataBrokers, runKafkaTool, startKafka, type TestKafka } from './kafka.ts';
import { until } from './until.ts';

const TOPICS = 'org.apache.kafka.tools.TopicCommand';

describe('startKafka', () => {
  const started: TestKafka[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'testkit-kafka-'));
  afterAll(async () => {
    await Promise.all(started.map((k) => k.stop()));
    rmSync(scratch, { recursive: true, force: true });
  });

  it('cluster ids are 22 URL-safe base64 characters and never start with "-" (kafka-storage would read an option)', () => {
    // 2,000 draws: without the redraw about 31 would start with '-'.
    for (let i = 0; i < 2000; i++) expect(clusterUuid()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });

  it('kafkaClasspath names the resolved jars', () => {
    expect(kafkaClasspath()).toMatch(/\.cache\/kafka\/libs\/\*$/);
  });

  it('starts one node with a SCRAM listener; Kafka tools run against both listeners; stop() kills it and removes its directory', async () => {
    const kafka = await startKafka({ sasl: { superUser: { name: 'admin', password: 'admin-secret' }, users: [{ name: 'alice', password: 'alice-secret' }] } });
    started.push(kafka);
    expect(await kafkaMetadataBrokers(kafka.bootstrap)).toBe(1);

    const created = await runKafkaTool(TOPICS, ['--bootstrap-server', kafka.bootstrap, '--create', '--topic', 'helper-t', '--partitions', '3', '--replication-factor', '1'], { timeoutMs: 60_000 });
    expect(created.exitCode, created.stderr).toBe(0);
    expect(created.stdout).toContain('Created topic helper-t.');

    const asAdmin = join(scratch, 'admin.properties');
    writeFileSync(asAdmin, 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="admin-secret";\n');
    const listed = await runKafkaTool(TOPICS, ['--bootstrap-server', kafka.saslBootstrap!, '--command-config', asAdmin, '--list'], { timeoutMs: 60_000 });
    expect(listed.exitCode, listed.stderr).toBe(0);
    expect(listed.stdout.split('\n')).toContain('helper-t');

    // alice logs in but has no ACL: the authorizer hides the topic from her.
    const asAlice = join(scratch, 'alice.properties');
    writeFileSync(asAlice, 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-256\nsasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="alice-secret";\n');
    const hidden = await runKafkaTool(TOPICS, ['--bootstrap-server', kafka.saslBootstrap!, '--command-config', asAlice, '--list'], { timeoutMs: 60_000 });
    expect(hidden.exitCode, hidden.stderr).toBe(0);
    expect(hidden.stdout.split('\n')).not.toContain('helper-t');

    const dataDir = kafka.nodes[0]!.logFile.replace(/\/node-1\/server\.log$/, '');
    expect(existsSync(dataDir)).toBe(true);
    await kafka.stop();
    expect(existsSync(dataDir)).toBe(false);
    await expect(kafkaMetadataBrokers(kafka.bootstrap, 1000)).rejects.toThrow();
  }, 180_000);

  it('runKafkaTool kills a tool at its time limit', async () => {
    // A console consumer on an address nobody listens at never finishes by itself.
    const r = await runKafkaTool('org.apache.kafka.tools.consumer.ConsoleConsumer', ['--bootstrap-server', '127.0.0.1:1', '--topic', 'x'], { timeoutMs: 4000 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
  }, 30_000);

  it('starts a 3-node cluster in which every node sees every broker and a topic gets three replicas', async () => {
    const kafka = await startKafka({ nodes: 3 });
    started.push(kafka);
    for (const n of kafka.nodes) expect(await kafkaMetadataBrokers(n.bootstrap)).toBe(3);
    const created = await runKafkaTool(TOPICS, ['--bootstrap-server', kafka.bootstrap, '--create', '--topic', 'rf3', '--partitions', '2', '--replication-factor', '3'], { timeoutMs: 60_000 });
    expect(created.exitCode, created.stderr).toBe(0);
    const described = await runKafkaTool(TOPICS, ['--bootstrap-server', kafka.bootstrap, '--describe', '--topic', 'rf3'], { timeoutMs: 60_000 });
    expect(described.exitCode, described.stderr).toBe(0);
    expect(described.stdout).toMatch(/ReplicationFactor: 3/);

    // A crashed node comes back on its data: its replicas rejoin every ISR.
    await kafka.kill(2);
    expect(kafka.nodes[1]!.process.signalCode).toBe('SIGKILL');
    await kafka.restart(2);
    expect(await kafkaMetadataBrokers(kafka.nodes[1]!.bootstrap)).toBe(3);
    await until(async () => {
      const r = await runKafkaTool(TOPICS, ['--bootstrap-server', kafka.bootstrap, '--describe', '--topic', 'rf3', '--under-replicated-partitions'], { timeoutMs: 60_000 });
      return r.exitCode === 0 && r.stdout.trim() === '' ? true : null;
    }, 'every partition of rf3 fully replicated after the restart', 120_000);
  }, 300_000);
});
