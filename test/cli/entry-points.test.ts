import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Every entry point answers --help and --version and does nothing else: exit 0, no file written or
 * changed in the repository (git status), no data directory made. Each runs as its own process.
 */
const root = resolve(import.meta.dirname, '../..');
const node = join(root, 'node_modules/.bin/node');
const scratch = mkdtempSync(join(tmpdir(), 'tributary-cli-'));
const dataDir = join(scratch, 'data');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const ENTRY_POINTS: [string, string][] = [
  ['tributary-api', 'apps/api/src/main.ts'],
  ['tributary-operator', 'apps/operator/src/main.ts'],
  ['tributary-broker', 'apps/broker/bin/tributary-broker.js'],
  ['npm start', 'scripts/start.ts'],
  ['console:build', 'scripts/console-build.ts'],
  ['test-summary', 'scripts/test-summary.ts'],
  ['protocol:capture-golden', 'libs/protocol/golden/capture.ts'],
  ['protocol:generate', 'libs/protocol/scripts/generate.ts'],
  ['bench:protocol', 'bench/protocol/protocol.bench.ts'],
  ['bench:fuzz', 'bench/protocol/fuzz.ts'],
  ['bench:messages', 'bench/protocol/messages.bench.ts'],
  ['bench:records', 'bench/protocol/records.bench.ts'],
  ['bench:compression', 'bench/protocol/compression.bench.ts'],
  ['bench:broker', 'bench/broker/broker.bench.ts'],
  ['bench:soak', 'bench/broker/soak.ts'],
  ['bench:replication', 'bench/cluster/replication.bench.ts'],
  ['bench:failover', 'bench/cluster/failover.bench.ts'],
  ['bench:api', 'bench/api/api.bench.ts'],
  ['bench:message-search', 'bench/api/message-search.bench.ts'],
  ['bench:security', 'bench/security/security.bench.ts'],
  ['bench:rebalance', 'bench/rebalance/rebalance.bench.ts'],
  ['tributary', 'apps/cli/bin/tributary.js'],
  ['api-client:generate', 'libs/api-client/scripts/generate.ts'],
  ['spec:schema', 'libs/spec/scripts/generate-schema.ts'],
  ['db-roles', 'libs/db/scripts/db-roles.ts'],
];
const gitStatus = () => execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: root }).toString();
const run = (script: string, args: string[]) => spawnSync(node, [script, ...args], {
  cwd: root, encoding: 'utf8', timeout: 60_000,
  // No DATABASE_URL: a process that went past --help would fail or start something; the data dir must stay absent.
  env: { PATH: process.env['PATH'], HOME: process.env['HOME'], TRIBUTARY_DATA_DIR: dataDir, TRIBUTARY_INSTANCES_DIR: join(dataDir, 'instances') },
});

describe('entry points', () => {
  const before = gitStatus();
  const hadData = existsSync(join(root, '.data'));
  for (const [name, script] of ENTRY_POINTS) {
    it(`${name}: --help prints a usage and --version a version, with no side effects`, () => {
      const help = run(script, ['--help']);
      expect(help.status, help.stderr).toBe(0);
      expect(help.stdout).toMatch(/^Usage: /);
      const version = run(script, ['--version']);
      expect(version.status, version.stderr).toBe(0);
      expect(version.stdout.trim()).not.toBe('');
      expect(version.stdout).not.toMatch(/Usage/);
      expect(gitStatus()).toBe(before);
      expect(existsSync(dataDir)).toBe(false);
      expect(existsSync(join(root, '.data'))).toBe(hadData);
    }, 120_000);
  }

  it('protocol:generate without the specs says where they are expected and takes --specs', () => {
    const empty = join(scratch, 'no-specs');
    const r = run('libs/protocol/scripts/generate.ts', ['--specs', empty]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`Kafka's message specs are not at ${empty}`);
    expect(r.stderr).toContain('--specs DIR');
    expect(gitStatus()).toBe(before);
  }, 60_000);

  it('an unknown flag is refused with the usage (exit 2), before anything starts', () => {
    const r = run('scripts/start.ts', ['--no-such-flag']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Unknown option '--no-such-flag'[\s\S]*Usage: /);
    expect(existsSync(dataDir)).toBe(false);
  }, 60_000);

  it('npm start: a data directory it cannot use is one clear line (exit 2), not a stack trace', () => {
    const file = join(scratch, 'a-file');
    writeFileSync(file, 'not a directory');
    const r = spawnSync(node, ['scripts/start.ts'], { cwd: root, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env['PATH'], HOME: process.env['HOME'], TRIBUTARY_DATA_DIR: file } });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^npm start: cannot use the data directory .*a-file \((ENOTDIR|EEXIST)\); set TRIBUTARY_DATA_DIR/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace

    // A postgres/ directory with something else in it: initdb would fail with its own trace.
    const dir = join(scratch, 'odd');
    mkdirSync(join(dir, 'postgres'), { recursive: true });
    writeFileSync(join(dir, 'postgres', 'stray.txt'), 'x');
    const odd = spawnSync(node, ['scripts/start.ts'], { cwd: root, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env['PATH'], HOME: process.env['HOME'], TRIBUTARY_DATA_DIR: dir } });
    expect(odd.status).toBe(2);
    expect(odd.stderr).toContain('holds no PostgreSQL data directory (no PG_VERSION)');
    expect(odd.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);
});
