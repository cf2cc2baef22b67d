import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { kafkaClasspath } from '@tributary/testkit';

/**
 * librdkafka's own test suites, one test per process against a broker, never in quick mode (-Q: it
 * shrinks message counts and skips sub-tests silently). Two builds: `2.0.2`, the tests/ of Debian's
 * librdkafka source package (scripts/setup.d/20-librdkafka-tests.sh, .cache/librdkafka), and
 * `2.12.1`, the tests/ of the librdkafka that the crates.io crate rdkafka-sys 4.10.0+2.12.1 vendors
 * (scripts/setup.d/21-librdkafka-2.12-tests.sh, .cache/librdkafka-2.12): the tests 2.0.2 lacks.
 */

const ROOT = resolve(import.meta.dirname, '../..');
export type LibrdkafkaVersion = '2.0.2' | '2.12.1';
const BUILDS: Record<LibrdkafkaVersion, { setup: string; src: string; origin: string }> = {
  '2.0.2': { setup: join(ROOT, 'scripts/setup.d/20-librdkafka-tests.sh'), src: join(ROOT, '.cache/librdkafka/src'), origin: "Debian's package and source archives through apt-get" },
  '2.12.1': { setup: join(ROOT, 'scripts/setup.d/21-librdkafka-2.12-tests.sh'), src: join(ROOT, '.cache/librdkafka-2.12/src'), origin: 'the crates.io crate rdkafka-sys 4.10.0+2.12.1 through cargo, and Debian packages' },
};
export const LIBRDKAFKA_SRC = BUILDS['2.0.2'].src;
const runnerOf = (version: LibrdkafkaVersion) => join(BUILDS[version].src, 'tests', 'test-runner');

/** Builds the suite when it is missing (the script is idempotent: well under a second once built). */
export function ensureLibrdkafkaSuite(version: LibrdkafkaVersion = '2.0.2'): string {
  const { setup, origin } = BUILDS[version];
  try {
    execFileSync('bash', [setup], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 15 * 60_000 });
  } catch (err) {
    const e = err as { stderr?: Buffer; stdout?: Buffer; message: string };
    throw new Error(`librdkafka ${version}'s test suite is not built and ${setup} failed (it needs ${origin}): ${e.stderr?.toString() || e.stdout?.toString() || e.message}`, { cause: err });
  }
  const runner = runnerOf(version);
  if (!existsSync(runner)) throw new Error(`${setup} ran but ${runner} does not exist`);
  return runner;
}

/** Whether librdkafka's source has test NNNN (a `NNNN-*.c` or `.cpp` file in tests/). */
export function librdkafkaHasTest(id: string, version: LibrdkafkaVersion = '2.0.2'): boolean {
  return readdirSync(join(BUILDS[version].src, 'tests')).some((f) => f.startsWith(`${id}-`) && /\.(c|cpp)$/.test(f));
}

export interface LibrdkafkaRun {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  /** stdout and stderr interleaved, ANSI colours removed. */
  output: string;
}

export interface LibrdkafkaRunOptions {
  bootstrap: string;
  /** Broker version the suite assumes (TEST_KAFKA_VERSION): sub-tests are chosen by it. */
  brokerVersion: string;
  /** Kill the runner after this long (its own test timeouts normally fire first). */
  timeoutMs: number;
  /** Further test.conf lines (librdkafka properties or test.* settings). */
  conf?: Record<string, string>;
  /**
   * Substrings of sub-test names not to run (SUBTESTS_SKIP, added to the runner by
   * 20-librdkafka-tests.patch; the runner names each sub-test it leaves out). A trailing `$`
   * anchors a substring at the end of the name.
   */
  skipSubtests?: string[];
  /**
   * Error names (rd_kafka_err2name, e.g. `_TRANSPORT`) that the runner's error callback reports as
   * `TOLERATED_ERRORS:` lines instead of failing the test (TEST_TOLERATED_ERRORS, added by the same
   * patch): only for a scenario that kills a broker on purpose. Fatal errors always fail.
   */
  toleratedErrors?: string[];
  /** librdkafka test scenario (TEST_SCENARIO); the broker must be configured to match it. */
  scenario?: string;
  /** Which build runs the test (default 2.0.2). */
  version?: LibrdkafkaVersion;
  /**
   * The consumer group protocol the runner's consumers use (TEST_CONSUMER_GROUP_PROTOCOL, 2.12.1
   * only): `consumer` is KIP-848's; the tests then leave out or adapt what that protocol forbids.
   */
  groupProtocol?: 'classic' | 'consumer';
}

/**
 * Runs `test-runner -L NNNN` (only this test, none of librdkafka's broker-less local tests, which
 * exercise its mock cluster, not a broker) in a scratch directory of its own. The runner writes its
 * stats files to the working directory and 0053 reads `../src/statistics_schema.json`, so the
 * scratch directory gets a `src` link to the source tree and the runner runs in `scratch/tests`.
 */
export function runLibrdkafkaTest(id: string, options: LibrdkafkaRunOptions): Promise<LibrdkafkaRun> {
  const version = options.version ?? '2.0.2';
  const scratch = mkdtempSync(join(tmpdir(), `librdkafka-${id}-`));
  symlinkSync(join(BUILDS[version].src, 'src'), join(scratch, 'src'));
  const cwd = join(scratch, 'tests');
  mkdirSync(cwd);
  const confFile = join(scratch, 'test.conf');
  const conf = { 'bootstrap.servers': options.bootstrap, ...options.conf };
  writeFileSync(confFile, Object.entries(conf).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  // CI=1 would make the runner lengthen request timeouts and cap concurrency: not what we measure.
  // Tests that alter topics through Kafka's kafka-topics.sh (0045) find it under KAFKA_PATH/bin and
  // the brokers in BROKERS: a wrapper that runs Kafka 4.4's TopicCommand from .cache/kafka/libs.
  const kafkaPath = join(scratch, 'kafka');
  mkdirSync(join(kafkaPath, 'bin'), { recursive: true });
  const topicsTool = join(kafkaPath, 'bin', 'kafka-topics.sh');
  writeFileSync(topicsTool, `#!/bin/sh\nexec java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp '${kafkaClasspath()}' org.apache.kafka.tools.TopicCommand "$@"\n`);
  chmodSync(topicsTool, 0o755);
  const env: NodeJS.ProcessEnv = { ...process.env, RDKAFKA_TEST_CONF: confFile, TEST_KAFKA_VERSION: options.brokerVersion, TESTS: id, KAFKA_PATH: kafkaPath, BROKERS: options.bootstrap };
  if (options.scenario) env.TEST_SCENARIO = options.scenario;
  else delete env.TEST_SCENARIO;
  delete env.CI;
  delete env.TEST_DEBUG;
  delete env.SUBTESTS;
  delete env.TESTS_SKIP;
  delete env.SUBTESTS_SKIP;
  if (options.skipSubtests?.length) env.SUBTESTS_SKIP = options.skipSubtests.join('|');
  delete env.TEST_CONSUMER_GROUP_PROTOCOL;
  if (options.groupProtocol) env.TEST_CONSUMER_GROUP_PROTOCOL = options.groupProtocol;
  delete env.TEST_TOLERATED_ERRORS;
  if (options.toleratedErrors?.length) env.TEST_TOLERATED_ERRORS = options.toleratedErrors.join('|');
  const started = Date.now();
  const child = spawn(runnerOf(version), ['-L'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs);
  return new Promise((done) => {
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      rmSync(scratch, { recursive: true, force: true });
      // eslint-disable-next-line no-control-regex
      done({ exitCode: code, signal, timedOut, durationMs: Date.now() - started, output: output.replace(/\x1b\[[0-9;]*m/g, '') });
    });
  });
}

/** What a failed run says: the 40 lines before the first `### Test "…" failed` and the last lines. */
export function failureReport(run: LibrdkafkaRun): string {
  // The runner's once-a-second "N test(s) running" lines say nothing about a failure.
  const lines = run.output.split('\n').filter((l) => !/\d+ test\(s\) running:/.test(l));
  const first = lines.findIndex((l) => l.startsWith('### Test '));
  const how = run.timedOut ? `killed after ${run.durationMs} ms (time limit)` : run.signal ? `ended by ${run.signal}` : `exited ${run.exitCode}`;
  const context = first >= 0 ? lines.slice(Math.max(0, first - 40), first + 3) : lines.slice(-60);
  return [`test-runner ${how}`, ...context, '--- last lines ---', ...lines.slice(-8)].join('\n');
}

export interface SummaryEntry {
  name: string;
  state: string;
  reason: string;
}

/** The runner's closing table rows (`| 0045_subscribe_update | PASSED | 3.1s | reason`) of test `id`. */
export function summaryEntries(output: string, id: string): SummaryEntry[] {
  const entries: SummaryEntry[] = [];
  for (const line of output.split('\n')) {
    const m = /^\|\s*(\d{4}_\S*)\s*\|\s*([A-Z]+)\s*\|\s*[\d.]+s\s*\|\s*(.*)$/.exec(line);
    if (m && m[1]!.startsWith(`${id}_`)) entries.push({ name: m[1]!, state: m[2]!, reason: m[3]!.trim() });
  }
  return entries;
}
