import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { until } from '../support/until.ts';

/**
 * The README's walkthrough runs as pasted (issue 14, "a first run that explains itself"): the shell
 * block after "this runs as pasted" is taken from README.md itself, unchanged, and run by bash in a
 * second directory whose `.data` is the data directory of an `npm start` the test started — as a
 * user pastes it into a second terminal. It creates a 3-broker instance, waits for Running, creates a
 * topic, a SCRAM user and its ACLs, produces and consumes with kcat over SASL, and shows that the
 * endpoint gives nothing without a login.
 */
const root = resolve(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'tributary-walkthrough-'));
// The embedded PostgreSQL runs as the postgres user when the tests run as root: it must reach the data dir.
chmodSync(scratch, 0o755);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The sh block that follows the sentence saying it runs as pasted. */
function walkthroughBlock(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const at = readme.indexOf('this runs as pasted');
  expect(at, 'the README announces a walkthrough that runs as pasted').toBeGreaterThan(0);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  expect(block, 'a sh block follows the announcement').not.toBeNull();
  return block![1]!;
}

it('the README walkthrough, pasted into a second shell beside npm start, reaches a 3-broker instance over SASL and is refused without a login', async () => {
  const script = walkthroughBlock();
  const dataDir = join(scratch, 'data');
  const npm = spawn('npm', ['start'], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TRIBUTARY_DATA_DIR: dataDir } });
  let output = '';
  npm.stdout.on('data', (b: Buffer) => { output += b.toString(); });
  npm.stderr.on('data', (b: Buffer) => { output += b.toString(); });
  const exited = new Promise<void>((r) => npm.once('exit', () => r()));
  try {
    await until(() => output.includes('Ctrl-C stops everything') || npm.exitCode !== null, 'the stack to come up', 150_000, () => output);
    expect(npm.exitCode, output).toBeNull();

    // The second terminal: a directory of its own whose .data is the stack's.
    const terminal = join(scratch, 'terminal');
    mkdirSync(terminal);
    symlinkSync(dataDir, join(terminal, '.data'));
    const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd: terminal, encoding: 'utf8', timeout: 240_000 });
    const key = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
    const api = readFileSync(join(dataDir, 'api-url'), 'utf8').trim();
    const instances = r.status === 0 ? '' : await fetch(`${api}/v1/instances`, { headers: { authorization: `Bearer ${key}` } }).then((res) => res.text(), String);
    const shown = `exit ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr.slice(-1500)}\ninstances: ${instances}\nstack:\n${output.slice(-2000)}`;
    expect(r.status, shown).toBe(0);
    expect(r.stdout, shown).toMatch(/^bootstrap: (127\.0\.0\.1:\d+,){2}127\.0\.0\.1:\d+$/m);
    // kcat -C prints the two values produced over SASL (partition by partition, so in either order;
    // the curl answers before it end without a newline), then the login-less kcat -L is refused.
    const tail = /(hello|world)\n(hello|world)\nrefused without a login, as it should be\n$/.exec(r.stdout);
    expect(tail, shown).not.toBeNull();
    expect(new Set([tail![1], tail![2]]), shown).toEqual(new Set(['hello', 'world']));
  } finally {
    if (npm.exitCode === null) {
      process.kill(npm.pid!, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 60_000))]);
    }
    if (npm.exitCode === null) try { process.kill(-npm.pid!, 'SIGKILL'); } catch { /* gone */ }
  }
}, 480_000);
