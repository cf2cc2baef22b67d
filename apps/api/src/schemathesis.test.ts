import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { useApiHarness } from './testing/api-harness.ts';

/**
 * schemathesis (PyPI, scripts/setup.d/50-schemathesis.sh) over openapi/openapi.json against the real
 * API on real PostgreSQL and Redis: examples, boundary/negative "coverage" cases and random fuzzing
 * for every operation, fixed seed, bounded examples. Checks: no 5xx, every response's status and body
 * documented, and every error problem+json (apps/api/test/schemathesis_hooks.py). Results are in
 * apps/api/README.md ("Property-based testing").
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const installer = join(root, 'scripts/setup.d/50-schemathesis.sh');
const bin = join(root, '.cache/schemathesis/bin/schemathesis');
const SEED = 20261201;
const MAX_EXAMPLES = Number(process.env['SCHEMATHESIS_MAX_EXAMPLES'] ?? 10);

let url = '';
const KEY = 'trb_0123456789ab_schemathesis-admin-key-0123456789';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

// Limits far above what the run sends: it tests inputs, not the limiter.
const h = useApiHarness({
  keys: {}, platformKey: KEY, redis: true, app: { docs: false, rateLimitMax: 1_000_000, authFailureMax: 1_000_000 },
  before: async () => {
    if (existsSync(bin)) return;
    const installed = await run('bash', [installer], {});
    if (installed.code !== 0 || !existsSync(bin)) throw new Error(`schemathesis is missing and ${installer} failed:\n${installed.out}`);
  },
});
beforeAll(async () => { url = await h.app.listen({ host: '127.0.0.1', port: 0 }); });

describe('schemathesis over openapi/openapi.json', () => {
  it('finds no 5xx, no undocumented status or body, and no error that is not problem+json', async () => {
    const reports = mkdtempSync(join(tmpdir(), 'schemathesis-'));
    try {
      const r = await run(bin, [
        'run', join(root, 'openapi/openapi.json'), '--url', url, '--header', `Authorization: Bearer ${KEY}`,
        '--checks', 'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,errors_are_problem_json',
        '--phases', 'examples,coverage,fuzzing', '--mode', 'all', '--max-examples', String(MAX_EXAMPLES), '--seed', String(SEED),
        '--workers', '2', '--no-color', '--report', 'junit', '--report-junit-path', join(reports, 'junit.xml'), '--suppress-health-check', 'all',
      ], { SCHEMATHESIS_HOOKS: 'schemathesis_hooks', PYTHONPATH: join(root, 'apps/api/test') },
      // schemathesis keeps a .schemathesis/ cache in its working directory: a scratch one, so the
      // repository stays clean (entry-points.test.ts compares git status) and no run replays another's.
      reports);
      // The summary (operations, cases, warnings) for the log; the whole output when it fails.
      // Without schemathesis's "=== … in 57s ===" frame lines: they are pytest's closing line, and
      // CI's log reader took one with no "passed" in it for a run in which no test ran.
      const at = r.out.lastIndexOf('SUMMARY');
      const summary = at < 0 ? r.out : r.out.slice(r.out.indexOf('\n', at) + 1);
      console.log(`schemathesis summary:\n${summary.split('\n').filter((l) => !/^=+ .* =+$/.test(l.trim())).join('\n')}`);
      expect(r.code, r.out).toBe(0);
      const junit = readFileSync(join(reports, 'junit.xml'), 'utf8');
      expect(Number(/tests="(\d+)"/.exec(junit)?.[1])).toBeGreaterThan(40);
    } finally {
      rmSync(reports, { recursive: true, force: true });
    }
    // 53 operations since the message routes (issue 16): ~3,500 cases, ~150 s on a loaded 2-core machine.
  }, 420_000);
});
