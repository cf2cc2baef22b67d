import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram, run } from '../../apps/cli/src/index.ts';
import { startE2eStack, type E2eStack } from '../support/e2e-stack.ts';
import { until } from '../support/until.ts';

// The everyday commands of `tributary` against the real local stack (PostgreSQL, Redis, the API
// over HTTP, the operator with the local runtime running a real broker). Commands run in process
// through run(argv, io) — the same function the bin calls — so each costs no Node start-up; the bin
// itself is run as a process for --help/--version (test/cli/entry-points.test.ts) and once below.
const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');

const KEY = 'trib_cli_admin_key_0123456789abcdef';
const PASSWORD = 'cli-secret-password-4711';
const root = resolve(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'tributary-cli-cmds-'));
let stack: E2eStack;

interface Result { code: number; stdout: string; stderr: string }
async function cli(...args: string[]): Promise<Result> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(args, { out: (t) => out.push(t), err: (t) => err.push(t), color: false, tty: false });
  return { code, stdout: out.join(''), stderr: err.join('') };
}
async function api_<T>(url: string): Promise<T> {
  const r = await stack.api('GET', url);
  expect(r.statusCode, r.body).toBe(200);
  return r.json() as T;
}
async function json<T = Record<string, unknown>>(...args: string[]): Promise<T> {
  const r = await cli('-o', 'json', ...args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as T;
}

beforeAll(async () => {
  stack = await startE2eStack({ key: KEY, etcd: false, stopGraceMs: 10_000, listen: true });
  process.env['TRIBUTARY_CONFIG_DIR'] = join(scratch, 'config');
  process.env['CLI_TEST_PASSWORD'] = PASSWORD;
  process.env['TRIBUTARY_ENDPOINT'] = stack.url!;
  process.env['TRIBUTARY_API_KEY'] = KEY;
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  rmSync(scratch, { recursive: true, force: true });
}, 120_000);

describe('tributary everyday commands', () => {
  it('profiles: configure writes a 0600 credentials file; a readable file is refused; env overrides it', async () => {
    delete process.env['TRIBUTARY_ENDPOINT'];
    delete process.env['TRIBUTARY_API_KEY'];
    expect((await cli('instances', 'list')).code).toBe(64); // no endpoint anywhere: a usage error naming the ways to give one
    process.env['TRIBUTARY_API_KEY'] = KEY;
    const saved = await cli('--endpoint', stack.url!, 'configure');
    delete process.env['TRIBUTARY_API_KEY'];
    expect(saved.code, saved.stderr).toBe(0);
    const file = join(scratch, 'config', 'credentials');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toContain(KEY);
    expect(saved.stdout + saved.stderr).not.toContain(KEY);
    expect((await cli('instances', 'list')).code).toBe(0); // from the default profile
    const listed = await cli('configure', 'list');
    expect(listed.stdout).toContain(stack.url!);
    expect(listed.stdout).not.toContain(KEY);

    chmodSync(file, 0o644);
    const refused = await cli('instances', 'list');
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('chmod 600');
    chmodSync(file, 0o600);

    // Environment beats the file: a wrong key from TRIBUTARY_API_KEY is a 401 (exit 5) with the problem's code.
    process.env['TRIBUTARY_API_KEY'] = 'trib_wrong_0123456789abcdef0123';
    const denied = await cli('instances', 'list');
    expect(denied.code).toBe(5);
    expect(denied.stderr).toMatch(/401 unauthenticated/);
    process.env['TRIBUTARY_API_KEY'] = KEY;
    process.env['TRIBUTARY_ENDPOINT'] = stack.url!;
    expect((await cli('--profile', 'nosuch', 'instances', 'list')).code).toBe(0); // both from env: the file is not needed
  }, 60_000);

  it('problem+json: detail and every field path printed, exit code by status', async () => {
    const bad = await cli('instances', 'create', 'bad', '--bandwidth', '33', '--disk', '150');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/422 validation-failed/);
    expect(bad.stderr).toContain('body/spec/bandwidthMBps: bandwidthMBps must be one of');
    expect(bad.stderr).toContain('body/spec/diskGiB');
    const missing = await cli('instances', 'get', 'no-such-instance');
    expect(missing.code).toBe(3);
    expect((await cli('operations', 'get', 'op-does-not-exist')).code).toBe(3);
    expect((await cli('operations', 'cancel', 'op-does-not-exist')).code).toBe(3);
    const usage = await cli('topics', 'create', 'x');
    expect(usage.code).toBe(64);
    expect(usage.stderr).toMatch(/required option '--partitions <n>' not specified/);
  }, 60_000);

  it('instances, topics, users, ACLs, quotas, operations, consumer groups: the whole everyday round', async () => {
    const created = await cli('instances', 'create', 'cli-one', '--bandwidth', '40', '--topic-limit', '10', '--label', 'team=cli', '--wait', '--timeout', '3m');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/status\.phase: Running/);
    const [inst] = await json<{ id: string; name: string; labels: Record<string, string> }[]>('instances', 'list', '--label', 'team=cli');
    expect(inst?.name).toBe('cli-one');
    const yaml = await cli('-o', 'yaml', 'instances', 'get', 'cli-one');
    expect(yaml.stdout).toMatch(/^id: ins/m);

    const table = await cli('instances', 'list');
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+PHASE\s+BROKERS/);
    expect(table.stdout).toMatch(/cli-one\s+Running\s+1\/1/);

    // Scale is guarded by If-Match; limits change in place.
    const scaled = await json<{ resource: { spec: { topicLimit: number } } }>('instances', 'scale', 'cli-one', '--topic-limit', '20');
    expect(scaled.resource.spec.topicLimit).toBe(20);
    expect((await cli('instances', 'scale', 'cli-one', '--brokers', '0')).code).toBe(1); // 422 from the API, not a crash
    expect((await cli('instances', 'wait', 'cli-one', '--timeout', '3m')).code).toBe(0);

    // Topics: create and wait, set and unset a config, grow partitions, live partition state.
    const topic = await json<{ operation: { id: string } }>('topics', 'create', 'cli-one', 'orders', '--partitions', '3', '--replication-factor', '1', '-c', 'retention.ms=3600000', '--wait', '--timeout', '2m');
    const op = await json<{ state: string; kind: string }>('operations', 'get', topic.operation.id);
    expect(op.state).toBe('Succeeded');
    const late = await cli('operations', 'cancel', topic.operation.id);
    expect(late.code).toBe(4);
    expect(late.stderr).toMatch(/409 operation-finished/);
    await json('topics', 'update', 'cli-one', 'orders', '-c', 'cleanup.policy=delete');
    let t = await json<{ configs: Record<string, string> }>('topics', 'get', 'cli-one', 'orders');
    expect(t.configs).toEqual({ 'retention.ms': '3600000', 'cleanup.policy': 'delete' });
    await json('topics', 'update', 'cli-one', 'orders', '--unset', 'retention.ms', '--wait', '--timeout', '2m');
    t = await json('topics', 'get', 'cli-one', 'orders');
    expect(t.configs).toEqual({ 'cleanup.policy': 'delete' });
    await json('topics', 'partitions', 'cli-one', 'orders', '--grow', '4', '--wait', '--timeout', '2m');
    const shrink = await cli('topics', 'partitions', 'cli-one', 'orders', '--grow', '2');
    expect(shrink.code).toBe(1);
    expect(shrink.stderr).toMatch(/partition/);
    // A live read from the broker: the new partitions show once its metadata has them (the
    // operation ends when the controller made them), so ask until they do, within 30 s.
    const parts = await until(async () => {
      const listed = await json<{ partition: number; leader: number }[]>('topics', 'partitions', 'cli-one', 'orders');
      return listed.length === 4 ? listed : null;
    }, 'the topic listing 4 partitions', 30_000);
    expect(parts.map((p) => p.partition)).toEqual([0, 1, 2, 3]);

    // Users: the password comes from the environment; it is never printed.
    const user = await cli('users', 'create', 'cli-one', 'app', '--password-env', 'CLI_TEST_PASSWORD', '-l', 'team=shop', '--wait', '--timeout', '2m');
    expect(user.code, user.stderr).toBe(0);
    expect(user.stdout + user.stderr).not.toContain(PASSWORD);
    expect((await cli('users', 'create', 'cli-one', 'app2', '--password-env', 'NOT_SET_ANYWHERE')).stderr).toContain('NOT_SET_ANYWHERE is not set');
    writeFileSync(join(scratch, 'pw'), 'another-password-0815\n', { mode: 0o600 });
    expect((await cli('users', 'rotate', 'cli-one', 'app', '--password-file', join(scratch, 'pw'))).code).toBe(0);
    expect((await json<{ name: string }[]>('users', 'list', 'cli-one')).map((u) => u.name)).toEqual(['app']);
    expect((await json<{ labels: Record<string, string> }>('users', 'get', 'cli-one', 'app')).labels).toEqual({ team: 'shop' }); // kept by the rotation

    const acl = await json<{ resource: { id: string; labels: Record<string, string> } }>('acls', 'create', 'cli-one', '--principal', 'User:app', '--operation', 'READ', '--resource', 'orders', '-l', 'team=shop', '--wait', '--timeout', '2m');
    expect(acl.resource.labels).toEqual({ team: 'shop' });
    expect((await json<{ id: string }[]>('acls', 'list', 'cli-one')).map((a) => a.id)).toEqual([acl.resource.id]);
    // Messages over the HTTP message API: the API reads and writes as its own principal per key,
    // which the instance's ACLs must allow (granted here through the CLI); one record sent, then read back.
    const [apiKey] = (await api_<{ items: { id: string }[] }>('/v1/api-keys')).items;
    for (const operation of ['WRITE', 'READ']) await json('acls', 'create', 'cli-one', '--principal', `User:tributary-api.${apiKey!.id}`, '--operation', operation, '--resource', 'orders', '--wait', '--timeout', '2m');
    const sent = await json<{ partition: number; offset: number }>('messages', 'send', 'cli-one', 'orders', '-k', 'k-1', '-v', '{"n":1}', '--json', '-H', 'src=cli');
    expect(sent.offset).toBe(0);
    // ACLs reach every broker through the cluster's metadata a moment after CreateAcls answers (as
    // in Kafka, where brokers apply them from the metadata log): the partition's leader may deny
    // the read for that moment, so the read is asked again while it is denied, within 30 s.
    const readable = await until(async () => {
      const r = await cli('-o', 'json', 'messages', 'read', 'cli-one', 'orders', '--from', 'earliest');
      if (r.code !== 0 && r.stderr.includes('kafka-acl-denied')) return null;
      expect(r.code, r.stderr).toBe(0);
      return r;
    }, 'the READ ACL in effect on the partition leader', 30_000);
    const page = JSON.parse(readable.stdout) as { records: { partition: number; key: { data: unknown }; value: { data: unknown } }[] };
    expect(page.records).toEqual([expect.objectContaining({ partition: sent.partition, key: expect.objectContaining({ data: 'k-1' }), value: expect.objectContaining({ data: '{"n":1}' }) })]);
    const msgTable = await cli('messages', 'read', 'cli-one', 'orders', '--from', 'earliest');
    expect(msgTable.stdout).toMatch(/k-1\s+\{"n":1\}/);

    await json('quotas', 'client', 'set', 'cli-one', '--user', 'app', '--producer-byte-rate', '1048576', '-l', 'team=shop');
    await json('quotas', 'client', 'set', 'cli-one', '--user', 'app', '--producer-byte-rate', '2097152'); // the same entity: replaced, not duplicated; labels kept
    const cq = await json<{ user: string; producerByteRate: number }[]>('quotas', 'client', 'list', 'cli-one');
    expect(cq).toMatchObject([{ user: 'app', producerByteRate: 2097152, labels: { team: 'shop' } }]);
    await json('quotas', 'group', 'set', 'cli-one', 'readers', '--max-members', '5', '-l', 'team=shop');
    expect(await json('quotas', 'group', 'list', 'cli-one')).toMatchObject([{ group: 'readers', maxMembers: 5, labels: { team: 'shop' } }]);
    await json('quotas', 'group', 'set', 'cli-one', 'readers', '--max-members', '5', '-l', 'team=ops'); // given: replaced
    expect(await json('quotas', 'group', 'list', 'cli-one')).toMatchObject([{ group: 'readers', labels: { team: 'ops' } }]);
    // Consumer groups: 8 more records (9 with the one sent above), a group committed at 0 → lag 9; a dry-run reset changes nothing.
    // The client endpoint is SASL/SCRAM: the user made above logs in with its rotated password, and
    // the ACLs granted through the CLI are what let it write, and commit for the group.
    await json('acls', 'create', 'cli-one', '--principal', 'User:app', '--operation', 'WRITE', '--resource', 'orders', '--wait', '--timeout', '2m');
    await json('acls', 'create', 'cli-one', '--principal', 'User:app', '--operation', 'READ', '--resource-type', 'GROUP', '--resource', 'readers', '--wait', '--timeout', '2m');
    const running = await json<{ status: { bootstrapServers: string } }>('instances', 'get', 'cli-one');
    const kafka = new Kafka({
      clientId: 'cli-test', brokers: [running.status.bootstrapServers], logLevel: logLevel.NOTHING, retry: { retries: 8 },
      sasl: { mechanism: 'scram-sha-512', username: 'app', password: 'another-password-0815' },
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'orders', messages: Array.from({ length: 8 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 4 })) });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    // The first group of the instance makes its brokers create __consumer_offsets (50 partitions, as
    // Kafka); until that is done FindCoordinator answers COORDINATOR_NOT_AVAILABLE, and kafkajs gives
    // up after its own retries (KafkaJSGroupCoordinatorNotFound) on a loaded machine. Any other error fails.
    let refused: unknown = null;
    await until(async () => {
      try {
        await admin.setOffsets({ groupId: 'readers', topic: 'orders', partitions: [0, 1, 2, 3].map((partition) => ({ partition, offset: '0' })) });
      } catch (err) {
        if ((err as Error).name === 'KafkaJSGroupCoordinatorNotFound') return null;
        refused = err;
      }
      return true;
    }, 'the group coordinator of readers', 180_000);
    if (refused) throw refused;
    await admin.disconnect();
    const lagOf = async () => (await json<{ offsets: { lag: number }[] }>('groups', 'describe', 'cli-one', 'readers')).offsets.reduce((n, o) => n + o.lag, 0);
    expect(await lagOf()).toBe(9);
    const listedGroups = await cli('groups', 'list', 'cli-one');
    expect(listedGroups.code, listedGroups.stderr).toBe(0);
    expect(listedGroups.stdout).toMatch(/readers\s+Empty\s+0\s+9/);
    const dry = await json<{ partition: number; committed: number; newOffset: number }[]>('groups', 'reset-offsets', 'cli-one', 'readers', '-t', 'orders', '--to-latest', '--dry-run');
    expect(dry).toEqual([0, 1, 2, 3].map((partition) => expect.objectContaining({ partition, committed: 0, newOffset: partition === sent.partition ? 3 : 2 })));
    expect(await lagOf()).toBe(9);
    expect((await cli('groups', 'reset-offsets', 'cli-one', 'readers', '-t', 'orders', '--to-latest')).code).toBe(0);
    expect(await lagOf()).toBe(0);
    expect((await cli('groups', 'delete', 'cli-one', 'readers')).code).toBe(8); // refused without --yes
    expect((await cli('groups', 'delete', 'cli-one', 'readers', '--yes')).code).toBe(0);
    expect((await json<{ group: string }[]>('groups', 'list', 'cli-one')).map((g) => g.group)).not.toContain('readers');

    await json('quotas', 'group', 'delete', 'cli-one', 'readers');
    for (const a of await json<{ id: string }[]>('acls', 'list', 'cli-one')) await json('acls', 'delete', 'cli-one', a.id);
    await json('users', 'delete', 'cli-one', 'app', '--wait', '--timeout', '2m');
    const ops = await json<{ kind: string }[]>('operations', 'list');
    expect(ops.map((o) => o.kind)).toEqual(expect.arrayContaining(['instance.create', 'topic.create']));

    // Deleting needs --yes (exit 8, nothing deleted), then is waited for.
    expect((await cli('topics', 'delete', 'cli-one', 'orders')).code).toBe(8);
    expect((await cli('instances', 'delete', 'cli-one')).code).toBe(8);
    expect((await json<unknown[]>('instances', 'list'))).toHaveLength(1);
    const hasTopics = await cli('instances', 'delete', 'cli-one', '--yes');
    expect(hasTopics.code).toBe(4); // the API keeps an instance with topics: 409 instance-has-topics
    expect(hasTopics.stderr).toMatch(/409 instance-has-topics/);
    expect((await cli('topics', 'delete', 'cli-one', 'orders', '--yes', '--wait', '--timeout', '2m')).code).toBe(0);
    const deleted = await cli('instances', 'delete', 'cli-one', '--yes', '--wait', '--timeout', '3m');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(await json<unknown[]>('instances', 'list')).toEqual([]);
    expect(await stack.runtime.knownInstances()).toEqual([]);
  }, 600_000);

  it('billing: the price book through the generated client', async () => {
    const book = await json<{ currency: string }>('billing', 'price-book');
    expect(typeof book.currency).toBe('string');
    expect((await cli('billing', 'invoices')).code).toBe(0);
    const request = join(scratch, 'quote.yaml');
    writeFileSync(request, 'kind: create\nspec: {zone: zone-a, brokers: 3, bandwidthMBps: 40, diskGiB: 500, partitionLimit: 400, topicLimit: 100, consumerGroupLimit: 100, billing: {mode: postpaid}}\n');
    const quote = await json<{ kind: string; mode: string; totalMinor: number; hourlyMinor: number }>('billing', 'quote', '-f', request);
    expect(quote).toMatchObject({ kind: 'create', mode: 'postpaid' });
    expect(quote.hourlyMinor).toBeGreaterThan(0);
    expect((await cli('billing', 'quote')).code).toBe(64);
  }, 60_000);
});

describe('tributary --help and completion', () => {
  const paths: string[][] = [];
  type Command = ReturnType<typeof buildProgram>;
  const walk = (c: Command, path: string[]) => { paths.push(path); for (const s of c.commands) walk(s, [...path, s.name()]); };
  walk(buildProgram({ out: () => {}, err: () => {}, color: false, tty: false }), []);

  it('every command answers --help with its usage and exit 0, before touching the network', async () => {
    expect(paths.length).toBeGreaterThan(30);
    for (const path of paths) {
      const r = await cli(...path, '--help');
      expect(r.code, path.join(' ')).toBe(0);
      expect(r.stdout, path.join(' ')).toMatch(new RegExp(`^Usage: tributary${path.length ? ' ' + path.join(' ') : ''}`));
    }
  }, 60_000);

  it('bash completion, generated from the command tree, completes commands and flags', async () => {
    const script = (await cli('completion', 'bash')).stdout;
    const file = join(scratch, 'completion.bash');
    writeFileSync(file, script);
    const complete = (words: string[]) => {
      const r = spawnSync('bash', ['-c', `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _tributary; echo "\${COMPREPLY[*]}"`], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.trim().split(/\s+/);
    };
    expect(complete(['tributary', 'to'])).toEqual(['topics', 'topic']);
    expect(complete(['tributary', 'topics', ''])).toEqual(expect.arrayContaining(['list', 'create', 'update', 'partitions', 'delete']));
    expect(complete(['tributary', 'topic', 'create', 'inst', '--rep'])).toEqual(['--replication-factor']);
    expect(complete(['tributary', 'quotas', 'client', ''])).toEqual(expect.arrayContaining(['list', 'set', 'delete']));
  }, 60_000);

  it('the bin runs as a process: problem detail on stderr, exit code kept, no wait for idle connections', async () => {
    // Asynchronous spawn: the API answering it runs in this process, so a synchronous one would deadlock.
    const r = await new Promise<{ status: number | null; stderr: string }>((done) => {
      const child = spawn(join(root, 'node_modules/.bin/node'), [join(root, 'apps/cli/bin/tributary.js'), 'instances', 'get', 'nope'], {
        env: { PATH: process.env['PATH'], HOME: scratch, TRIBUTARY_ENDPOINT: stack.url, TRIBUTARY_API_KEY: KEY }, timeout: 60_000,
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      child.on('close', (status) => done({ status, stderr }));
    });
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toContain('no instance named or with id "nope"');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
