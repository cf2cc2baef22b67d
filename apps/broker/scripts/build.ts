// Builds the broker to plain JavaScript: apps/broker/dist/tributary-broker.js, one ES module bundled
// by esbuild from src/main.ts with the workspace libraries it imports, its source map, and
// inputs.json (every bundled file with its size and modification time) that the bin checks before
// it runs the bundle (bin/built-broker.js). Usage:
//   npm run build        (or: node apps/broker/scripts/build.ts)
//
// Why a build at all: Node can run the TypeScript sources, but then every broker either loads its
// type stripper or keeps the compile cache's copy of every stripped source in memory, and loads
// ~500 modules of its own; one plain-JavaScript file avoids all three (bench/README.md, issue 21).
//
// The bundle stays at the same depth as libs/contracts/src/ (apps/broker/dist/): contracts reads the
// repository's package.json as '../../../package.json' from its own module URL, which in the
// bundle is this file's URL (the version the broker reports; test/cli/entry-points.test.ts).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { decode, encode } from '@jridgewell/sourcemap-codec';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '../../..');
const dist = resolve(import.meta.dirname, '../dist');

/**
 * Packages that stay in node_modules, loaded at run time as before: native addons and WebAssembly
 * (lz4-napi, @node-rs/crc32, snappy-wasm) cannot be inlined. etcd3 gets a bundle of its own
 * (ETCD3_BUNDLE), loaded only by a clustered broker when it makes its first etcd store
 * (src/cluster/metadata-store.ts).
 */
const EXTERNAL = ['etcd3', 'lz4-napi', '@node-rs/crc32', 'snappy-wasm'];

/**
 * etcd3 with grpc-js, proto-loader and protobufjs as one CommonJS file, laid out as the package is:
 * etcd3 reads `${__dirname}/../proto/rpc.proto` (and the files it imports) at run time, so its
 * proto/ directory is copied beside lib/.
 */
const ETCD3_BUNDLE = 'etcd3/lib/index.cjs';
const etcd3Package = dirname(createRequire(import.meta.url).resolve('etcd3/package.json'));

export interface BuildResult {
  bundle: string;
  inputs: number;
  ms: number;
}

/** Builds and installs dist/; a broker starting meanwhile reads a whole old or a whole new bundle (install()). */
export async function buildBroker(): Promise<BuildResult> {
  const started = performance.now();
  let built: Built;
  // A source saved while esbuild read the tree would be recorded as built with its new time: build
  // again. Bounded, as a file dated in the future (a clock step, an archive) always looks that way.
  for (let attempt = 1; ; attempt++) {
    const since = Date.now();
    built = await bundleOnce();
    if (attempt === 3 || built.inputs.every(([, , mtimeMs]) => mtimeMs < since)) break;
  }
  install(built);
  return { bundle: join(dist, 'tributary-broker.js'), inputs: built.inputs.length, ms: Math.round(performance.now() - started) };
}

type Input = readonly [path: string, size: number, mtimeMs: number];
interface Built {
  files: { name: string; contents: Uint8Array }[];
  inputs: Input[];
}

async function bundleOnce(): Promise<Built> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['apps/broker/src/main.ts'],
    outfile: join(dist, 'tributary-broker.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    external: EXTERNAL,
    define: { TRIBUTARY_ETCD3_BUNDLE: JSON.stringify(`./${ETCD3_BUNDLE}`) },
    charset: 'ascii',
    // Names and layout kept (no minification): a stack trace read without its source map still
    // names the functions, and the bundle marks each source file with a comment.
    sourcemap: 'linked',
    // The map names the .ts files and lines (cut to lines: linesOnly); their text is in the
    // repository, so it is not copied into the map.
    sourcesContent: false,
    // Bundled CommonJS dependencies (prom-client) call require() for Node's builtins.
    banner: { js: "import { createRequire as __tributaryRequire } from 'node:module'; const require = __tributaryRequire(import.meta.url);" },
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  const etcd3 = await build({
    absWorkingDir: root,
    entryPoints: [join(etcd3Package, 'lib/index.js')],
    outfile: join(dist, ETCD3_BUNDLE),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    charset: 'ascii',
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  const protos = readdirSync(join(etcd3Package, 'proto')).filter((name) => name.endsWith('.proto')).map((name) => join(etcd3Package, 'proto', name));
  // Besides the bundled files: the .proto files, this script (how they are bundled) and the lockfile (esbuild's version).
  const read = [...Object.keys(result.metafile.inputs), ...Object.keys(etcd3.metafile.inputs), ...protos.map((p) => relative(root, p)), 'apps/broker/scripts/build.ts', 'package-lock.json'];
  const inputs = [...new Set(read)].map((path): Input => {
    const s = statSync(join(root, path));
    return [path, s.size, s.mtimeMs];
  });
  const files = [
    // The etcd client first and the broker's bundle after it: a broker reading the new bundle finds the client it names.
    ...etcd3.outputFiles.map((f) => ({ name: relative(dist, f.path), contents: asciiOnly(f.text) })),
    ...protos.map((p) => ({ name: join(dirname(dirname(ETCD3_BUNDLE)), 'proto', relative(join(etcd3Package, 'proto'), p)), contents: readFileSync(p) })),
    ...result.outputFiles.map((f) => ({ name: relative(dist, f.path), contents: f.path.endsWith('.js') ? asciiOnly(f.text) : f.path.endsWith('.map') ? linesOnly(f.text) : f.contents })),
  ];
  return { files, inputs };
}

/**
 * The source map cut to one mapping per bundle line (the first that names a source, without names):
 * a stack frame still gets its .ts file and line, and its column where the line starts. Node
 * decodes a whole map the first time it formats a stack trace and keeps it: esbuild's ~205,000
 * mappings took ~40 MiB of RSS, these ~39,000 ~8 MiB (bench/README.md, issue 21, session 13).
 */
function linesOnly(json: string): Uint8Array {
  const map = JSON.parse(json) as { mappings: string; names: string[] };
  map.mappings = encode(decode(map.mappings).map((segments) => {
    const first = segments.find((segment) => segment.length >= 4);
    return first ? [[first[0], first[1]!, first[2]!, first[3]!] as [number, number, number, number]] : [];
  }));
  map.names = [];
  return Buffer.from(JSON.stringify(map));
}

/**
 * V8 keeps a module's whole source as a two-byte string when it holds one non-ASCII character (the
 * bundle, ~1.7 M characters, would take twice the memory). esbuild's `charset: 'ascii'` escapes
 * them in strings, regular expressions and identifiers; what is left is in comments (an em dash,
 * a ≤), which are replaced by '?' one for one, so every column the source map names stays put.
 */
function asciiOnly(js: string): Uint8Array {
  return Buffer.from(js.replace(/[\u0080-\uffff]/g, '?'), 'latin1');
}

/** Writes into a scratch directory, then renames into dist/: inputs.json last, as it is what says the bundle is current. */
function install(built: Built): void {
  const scratch = join(dist, `.build-${process.pid}`);
  mkdirSync(scratch, { recursive: true });
  for (const f of built.files) {
    mkdirSync(dirname(join(scratch, f.name)), { recursive: true });
    writeFileSync(join(scratch, f.name), f.contents);
  }
  writeFileSync(join(scratch, 'inputs.json'), JSON.stringify({ inputs: built.inputs }));
  for (const name of [...built.files.map((f) => f.name), 'inputs.json']) {
    mkdirSync(dirname(join(dist, name)), { recursive: true });
    renameSync(join(scratch, name), join(dist, name));
  }
  rmSync(scratch, { recursive: true, force: true });
}

if (import.meta.main) {
  const r = await buildBroker();
  process.stdout.write(`broker built: ${relative(root, r.bundle)} from ${r.inputs} files in ${r.ms} ms\n`);
}
