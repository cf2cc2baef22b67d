/**
 * `node scripts/console-build.ts [--if-stale]`: builds the web console (apps/console, Vite) into
 * apps/console/dist, which the API serves at `/`. With --if-stale it builds only when there is no
 * build or a source file is newer than it (scripts/up.sh runs it before `npm start`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseCli } from '@tributary/contracts/cli';

const values = parseCli('console-build', `
Usage: node scripts/console-build.ts [--if-stale] [--help] [--version]

Builds the web console into apps/console/dist (served by the API at /).
  --if-stale   only when there is no build yet or its sources changed since`, { 'if-stale': { type: 'boolean' } });

const app = resolve(import.meta.dirname, '../apps/console');
const built = join(app, 'dist/index.html');

function newest(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((e) => newest(join(path, e))));
}

const sources = ['src', 'public', 'index.html', 'vite.config.ts', 'package.json'].map((p) => join(app, p)).filter(existsSync);
const stale = !existsSync(built) || Math.max(...sources.map(newest)) > statSync(built).mtimeMs;
if (values['if-stale'] && !stale) process.exit(0);
console.log('building the web console (apps/console → apps/console/dist)');
const vite = resolve(import.meta.dirname, '../node_modules/vite/bin/vite.js');
const r = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: app, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
process.exit(r.status ?? 1);
