import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { currentBundle, whyStale } from '../../apps/broker/bin/built-broker.js';

const BIN = resolve(import.meta.dirname, '../../apps/broker/bin/tributary-broker.js');
const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'tributary-built-broker-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The broker runs as the bundle apps/broker/scripts/build.ts makes; the bin checks it is current (apps/broker/bin/built-broker.js). */
describe('the built broker', () => {
  it('loads no TypeScript: the bin runs with Node\'s type stripping turned off', async () => {
    currentBundle(); // built first, so the build's own TypeScript is not what this runs
    const { stdout } = await run(process.execPath, ['--no-experimental-strip-types', BIN, '--version']);
    expect(stdout).toMatch(/^tributary-broker \d+\.\d+\.\d+\n$/);
  });

  it('names the .ts sources and lines in a stack trace (the bundle\'s source map)', async () => {
    // A data directory under a plain file: the Broker constructor's mkdir throws, uncaught.
    const file = join(scratch, 'not-a-directory');
    writeFileSync(file, '');
    const failed = await run(process.execPath, [BIN, '--node-id', '1', '--listeners', 'PLAINTEXT://127.0.0.1:0', '--data-dir', join(file, 'data')]).catch((err: { stderr: string }) => err);
    expect((failed as { stderr: string }).stderr).toMatch(/ENOTDIR/);
    const frame = /at new Broker \((\S+\/apps\/broker\/src\/broker\.ts):(\d+):\d+\)/.exec((failed as { stderr: string }).stderr);
    expect(frame, (failed as { stderr: string }).stderr).not.toBeNull();
    // The map is cut to lines (apps/broker/scripts/build.ts): the line named must be the one that threw.
    expect(readFileSync(frame![1]!, 'utf8').split('\n')[Number(frame![2]) - 1]).toContain('mkdirSync(');
    expect((failed as { stderr: string }).stderr).not.toMatch(/dist\/tributary-broker\.js/);
  });

  it('is stale when an input changes size or time, or is gone, and current otherwise', () => {
    const bundle = join(scratch, 'bundle.js');
    const manifest = join(scratch, 'inputs.json');
    const at = `${scratch}/`;
    expect(whyStale(bundle, manifest, at)).toBe('not built yet');
    writeFileSync(bundle, '');
    const inputs = ['a.ts', 'b.ts'];
    for (const name of inputs) writeFileSync(join(scratch, name), `export const ${name[0]} = 1;\n`);
    const record = () => writeFileSync(manifest, JSON.stringify({ inputs: inputs.map((name) => [name, statSync(join(scratch, name)).size, statSync(join(scratch, name)).mtimeMs]) }));
    record();
    expect(whyStale(bundle, manifest, at)).toBeNull();
    writeFileSync(join(scratch, 'b.ts'), 'export const b = 22;\n');
    expect(whyStale(bundle, manifest, at)).toBe('b.ts changed');
    record();
    // Same size, saved again: a new modification time is enough.
    const { mtime } = statSync(join(scratch, 'a.ts'));
    utimesSync(join(scratch, 'a.ts'), mtime, new Date(mtime.getTime() + 5_000));
    expect(whyStale(bundle, manifest, at)).toBe('a.ts changed');
    record();
    rmSync(join(scratch, 'a.ts'));
    expect(whyStale(bundle, manifest, at)).toBe('a.ts is gone');
  });

  it('loads the etcd client from its own bundle, which finds etcd3\'s .proto files beside it', () => {
    const bundle = currentBundle();
    // What src/cluster/metadata-store.ts requires once the build has defined TRIBUTARY_ETCD3_BUNDLE.
    expect(readFileSync(bundle, 'utf8')).toContain('"./etcd3/lib/index.cjs"');
    // etcd3 loads its .proto files when it is required: this throws if they are not where it looks.
    const etcd3 = createRequire(bundle)('./etcd3/lib/index.cjs') as { Etcd3?: unknown };
    expect(typeof etcd3.Etcd3).toBe('function');
  });

  it('is current in this checkout once the bin has checked it', () => {
    expect(currentBundle()).toMatch(/apps\/broker\/dist\/tributary-broker\.js$/);
    expect(whyStale()).toBeNull();
  });
});
