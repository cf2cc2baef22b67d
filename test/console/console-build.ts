import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';

export const CONSOLE_ROOT = resolve(import.meta.dirname, '../../apps/console');

/** Builds the console once into `outDir` with its own Vite config (a child process, as `npm run console:build`). */
export async function buildConsole(outDir: string): Promise<void> {
  const vite = resolve(import.meta.dirname, '../../node_modules/vite/bin/vite.js');
  await promisify(execFile)(process.execPath, [vite, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: CONSOLE_ROOT,
    timeout: 180_000,
    // vitest runs with NODE_ENV=test, which would make Vite bundle React's development build.
    env: { ...process.env, NODE_ENV: 'production' },
  });
}

/**
 * The JavaScript a browser downloads before the first screen: index.html's module scripts and the
 * chunks it preloads (screens load later, on navigation). Sizes gzipped at level 9, as a server or
 * CDN would send them; Vite's own report uses the same measure.
 */
export function firstLoadJs(dir: string): { files: { file: string; gzipBytes: number }[]; totalGzipBytes: number } {
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const refs = new Set<string>();
  for (const m of html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g)) refs.add(m[1]!);
  for (const m of html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)) refs.add(m[1]!);
  const files = [...refs].map((ref) => ({ file: ref, gzipBytes: gzipSync(readFileSync(join(dir, ref.replace(/^\//, ''))), { level: 9 }).length }));
  return { files, totalGzipBytes: files.reduce((s, f) => s + f.gzipBytes, 0) };
}
