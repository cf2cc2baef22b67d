/**
 * Writes libs/protocol/specs/, the in-repo copy of Apache Kafka's message specs that
 * `npm run protocol:generate` reads: the specs shipped in Kafka 4.4's kafka-clients jar
 * (common/message/*.json), with the old versions Kafka 4.0 dropped restored from the older specs
 * beside the repository (../shared/kafka-protocol), because Tributary still answers them.
 * The coordinator record schemas are not in any Kafka jar as JSON: they are copied from the older
 * specs unchanged. Run with `npm run protocol:import-specs`; it rewrites the folder every time,
 * so the same jar and the same older specs give the same files.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkMerge, mergeSpecs } from './merge-specs.ts';
import { parseSpecText, type MessageSpec } from './spec-model.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const SPECS_ROOT = resolve(here, '../specs');
const REPO = resolve(here, '../../..');
const DEFAULT_OLDER = resolve(REPO, '../shared/kafka-protocol');
const DEFAULT_JAR_DIR = join(REPO, '.cache/kafka/libs');

const LICENSE = readFileSync(join(here, 'apache-license-header.txt'), 'utf8');

function findJar(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const jar = readdirSync(dir).filter((f) => /^kafka-clients-\d+\.\d+\.\d+\.jar$/.test(f)).sort().at(-1);
  return jar === undefined ? undefined : join(dir, jar);
}

/** The jar's common/message/*.json, name → text (unzip reads the jar; it is a zip file). */
function readJarSpecs(jar: string): Map<string, string> {
  const listing = execFileSync('unzip', ['-Z1', jar], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const names = listing.split('\n').filter((n) => /^common\/message\/[A-Za-z0-9]+\.json$/.test(n));
  return new Map(names.map((n) => [basename(n), execFileSync('unzip', ['-p', jar, n], { encoding: 'utf8' })]));
}

function key(s: MessageSpec): string {
  return s.apiKey === undefined ? `name:${s.name}` : `${s.type}:${s.apiKey}`;
}

export interface ImportResult {
  verbatim: number;
  merged: string[];
  keptOlder: string[];
  droppedOlder: string[];
}

export function importSpecs(jar: string, olderRoot: string, out = SPECS_ROOT): ImportResult {
  const newer = readJarSpecs(jar);
  if (newer.size === 0) throw new Error(`${jar} holds no common/message/*.json`);
  const olderDir = join(olderRoot, 'messages');
  const older = new Map(readdirSync(olderDir).filter((f) => f.endsWith('.json')).map((f) => [f, readFileSync(join(olderDir, f), 'utf8')]));
  const newerKeys = new Set([...newer.values()].map((t) => key(parseSpecText(t))));
  const result: ImportResult = { verbatim: 0, merged: [], keptOlder: [], droppedOlder: [] };
  const files = new Map<string, string>();
  for (const [file, text] of newer) {
    const n = parseSpecText(text);
    const oldText = older.get(file);
    if (oldText === undefined) {
      files.set(file, text);
      result.verbatim++;
      continue;
    }
    const o = parseSpecText(oldText);
    const m = mergeSpecs(o, n);
    if (m === n) {
      files.set(file, text);
      result.verbatim++;
    } else if (m === o) {
      files.set(file, oldText);
      result.keptOlder.push(file);
    } else {
      const problems = checkMerge(o, n, m);
      if (problems.length > 0) throw new Error(`merging ${file} changes the wire format:\n  ${problems.join('\n  ')}`);
      files.set(file, `${LICENSE}\n// Merged by npm run protocol:import-specs: versions ${n.validVersions} are Apache Kafka ${basename(jar)}'s\n// ${file}; the older versions Kafka 4 dropped come from the older spec of the same name.\n${JSON.stringify(m, null, 2)}\n`);
      result.merged.push(file);
    }
  }
  for (const [file, text] of older) {
    if (files.has(file)) continue;
    // Renamed in the newer specs (ListClientMetricsResources is ListConfigResources, API key 74).
    if (newerKeys.has(key(parseSpecText(text)))) result.droppedOlder.push(file);
    else {
      files.set(file, text);
      result.keptOlder.push(file);
    }
  }
  rmSync(join(out, 'messages'), { recursive: true, force: true });
  rmSync(join(out, 'records'), { recursive: true, force: true });
  mkdirSync(join(out, 'messages'), { recursive: true });
  mkdirSync(join(out, 'records'), { recursive: true });
  for (const [file, text] of [...files].sort(([a], [b]) => a.localeCompare(b))) writeFileSync(join(out, 'messages', file), text);
  const recordsDir = join(olderRoot, 'records');
  for (const f of readdirSync(recordsDir).filter((r) => r.endsWith('.json')).sort()) copyFileSync(join(recordsDir, f), join(out, 'records', f));
  const sha = createHash('sha256').update(readFileSync(jar)).digest('hex');
  writeFileSync(
    join(out, 'SOURCE.txt'),
    `# Written by npm run protocol:import-specs — do not edit.\njar ${basename(jar)} sha256 ${sha}\nverbatim ${result.verbatim}\nmerged (older versions restored) ${result.merged.sort().join(' ')}\nolder spec kept ${result.keptOlder.sort().join(' ')}\nolder spec dropped (renamed) ${result.droppedOlder.sort().join(' ')}\n`,
  );
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { jar: { type: 'string' }, older: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) {
    process.stdout.write(`Usage: npm run protocol:import-specs [-- --jar FILE] [--older DIR]

Rewrites libs/protocol/specs/ (the specs npm run protocol:generate reads) from Apache Kafka's
kafka-clients jar, restoring the versions Kafka 4 dropped from the older specs.
  --jar FILE    kafka-clients-X.Y.Z.jar (default: the newest in ${DEFAULT_JAR_DIR},
                which bash scripts/setup.d/10-kafka.sh fills)
  --older DIR   the older specs as messages/*.json and records/*.json (default ${DEFAULT_OLDER})
`);
  } else {
    const jar = values.jar ?? findJar(DEFAULT_JAR_DIR);
    const olderRoot = resolve(values.older ?? DEFAULT_OLDER);
    if (jar === undefined || !existsSync(jar)) {
      process.stderr.write(`protocol:import-specs: no kafka-clients jar (run bash scripts/setup.d/10-kafka.sh or pass --jar FILE)\n`);
      process.exitCode = 2;
    } else if (!existsSync(join(olderRoot, 'messages')) || !existsSync(join(olderRoot, 'records'))) {
      process.stderr.write(`protocol:import-specs: the older specs are not at ${olderRoot} (messages/ and records/); pass --older DIR\n`);
      process.exitCode = 2;
    } else {
      const r = importSpecs(jar, olderRoot);
      console.log(`protocol:import-specs: ${r.verbatim} specs verbatim from ${basename(jar)}, ${r.merged.length} merged with their dropped versions, ${r.keptOlder.length} older kept, ${r.droppedOlder.length} renamed; wrote ${SPECS_ROOT}`);
    }
  }
}
