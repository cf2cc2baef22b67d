// Where the bin finds the broker it runs: dist/tributary-broker.js, the plain-JavaScript bundle of
// src/ that `npm run build` (apps/broker/scripts/build.ts) writes. Plain JavaScript itself, so that
// nothing on the way to the bundle makes Node load its TypeScript stripper.
//
// Why the bin checks the bundle rather than trusting whoever ran the build: every launcher (the
// tests, the benches, `npm start`, the operator's local runtime, a user's `npx tributary-broker`)
// goes through this bin, so checking here is the one place that makes stale code impossible to run;
// a vitest global setup or a setup-script step would each cover some launchers and not the others.
// The check is a stat of each bundled file (~500, a few milliseconds) against the size and
// modification time the build recorded in dist/inputs.json. A stale or missing bundle in a source
// checkout is rebuilt in a child process (esbuild takes well under a second; the broker's own
// process never loads esbuild), so editing a source and starting a broker just works. An
// installation without the sources next to the bin (the container image, which builds its bundle
// in its own build stage) runs the bundle it has.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const bundle = `${dist}tributary-broker.js`;
const manifest = `${dist}inputs.json`;
const sources = fileURLToPath(new URL('../src/', import.meta.url));
const buildScript = fileURLToPath(new URL('../scripts/build.ts', import.meta.url));
const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Why a bundle does not match its inputs as they are now, or null when it does: the first input
 * whose size or modification time differs from the build's record (or that is gone), or a missing
 * bundle or record. Input paths in the record are relative to `root` (ending in '/').
 */
export function whyStale(bundlePath = bundle, manifestPath = manifest, root = repositoryRoot) {
  if (!existsSync(bundlePath) || !existsSync(manifestPath)) return 'not built yet';
  /** @type {{ inputs: [string, number, number][] }} */
  const { inputs } = JSON.parse(readFileSync(manifestPath, 'utf8'));
  for (const [path, size, mtimeMs] of inputs) {
    const now = statSync(`${root}${path}`, { throwIfNoEntry: false });
    if (now === undefined) return `${path} is gone`;
    if (now.size !== size || now.mtimeMs !== mtimeMs) return `${path} changed`;
  }
  return null;
}

/** The bundle's path, built first when this is a source checkout and the bundle is not current. */
export function currentBundle() {
  if (!existsSync(sources)) {
    if (!existsSync(bundle)) throw new Error(`tributary-broker: ${bundle} is missing and there are no sources to build it from`);
    return bundle;
  }
  const stale = whyStale();
  if (stale === null) return bundle;
  // Brokers started together may each rebuild; the build renames whole files into place, so each
  // reads a complete bundle, and all of them the same one.
  const built = spawnSync(process.execPath, [buildScript], { cwd: repositoryRoot, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (built.status !== 0) {
    // A checkout whose node_modules predates the build step lacks esbuild: say what installs it.
    const hint = /Cannot find (package|module) 'esbuild'|@jridgewell/.test(built.stderr ?? '') ? '\n(npm ci, or bash scripts/setup.sh, installs the build tools: esbuild is a devDependency)' : '';
    throw new Error(`tributary-broker: the bundle is stale (${stale}) and rebuilding it failed:\n${built.stderr || built.error}${hint}`);
  }
  return bundle;
}
