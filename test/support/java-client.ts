import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { until } from './until.ts';

/**
 * Runs the Java-client programs of test/java/src (Apache Kafka's own kafka-clients, from Maven
 * Central) as separate JVMs. Each prints one `RESULT {json}` line; everything else it prints (the
 * client's logging) is kept for failure messages only.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const CLASSPATH = `${ROOT}/.cache/java-tests/classes:${ROOT}/.cache/kafka/libs/*`;
// Short-lived client JVMs: C1 only and the serial collector start fastest on 2 shared cores.
const JVM_FLAGS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xss512k', '-Xmx256m'];

/** Resolves Kafka's jars and compiles the programs when needed (scripts/setup.d/10-kafka.sh, 20-java-tests.sh). */
export function ensureJavaPrograms(): void {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore' });
  } catch (err) {
    throw new Error('java is not installed: the Java client tests need a JDK 17 (the polyglot machine kind has one)', { cause: err });
  }
  try {
    execFileSync('bash', ['scripts/setup.d/20-java-tests.sh'], { cwd: ROOT, stdio: 'pipe', timeout: 600_000 });
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`could not build the Java test programs (scripts/setup.d/20-java-tests.sh):\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`, { cause: err });
  }
}

export interface JavaRun<T> {
  result: T;
  output: string;
}

/** Runs `tributary.compat.<program>` with `args`; resolves to its parsed RESULT line. */
export function runJava<T = Record<string, unknown>>(program: string, args: string[], options: { timeoutMs?: number; jvmArgs?: string[]; onLine?: (line: string) => void; onStart?: (child: ChildProcess) => void } = {}): Promise<JavaRun<T>> {
  return new Promise((done, fail) => {
    const child = execFile('java', [...JVM_FLAGS, ...(options.jvmArgs ?? []), '-cp', CLASSPATH, `tributary.compat.${program}`, ...args], { cwd: ROOT, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const output = `${stdout}\n${stderr}`;
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) return fail(new Error(`${program} ${args.join(' ')} printed no result (${err ? err.message : 'exit 0'}):\n${output.slice(-4000)}`));
      done({ result: JSON.parse(line.slice(7)) as T, output });
    });
    options.onStart?.(child);
    // Progress lines as they come (the program's stdout is also kept whole for the result).
    const onLine = options.onLine;
    if (onLine) {
      let rest = '';
      child.stdout?.on('data', (chunk: Buffer | string) => {
        const lines = (rest + chunk.toString()).split('\n');
        rest = lines.pop() ?? '';
        for (const l of lines) onLine(l);
      });
    }
  });
}

/** A program started by runPaused: its result, the facts it wrote at its pause point, and the go. */
export interface PausedRun<T> {
  program: string;
  run: Promise<JavaRun<T>>;
  /** What the program wrote at its pause point (Steps.pause): e.g. a leader or coordinator to kill. */
  paused: Promise<Record<string, number>>;
  /** Lets the program go on from its pause point. */
  resume(): void;
}

/**
 * Runs a program that stops at its Steps.pause point `at` (test/java's Steps.java), so that a test
 * can change the cluster under the running client (kill -9 a broker) and then let it go on.
 * `paused` rejects at once when the program ends without reaching the point (its failure, as
 * runJava reports it); the result is awaited through `run`.
 */
export function runPaused<T = Record<string, unknown>>(program: string, args: string[], options: { at: string; dir: string; name?: string; timeoutMs?: number; jvmArgs?: string[] }): PausedRun<T> {
  const file = join(options.dir, options.name ?? program);
  const run = runJava<T>(program, args, { timeoutMs: options.timeoutMs ?? 300_000, jvmArgs: [...(options.jvmArgs ?? []), `-Dsteps.pause=${options.at}`, `-Dsteps.pauseFile=${file}`] });
  run.catch(() => undefined); // awaited by the caller through `run`
  const paused = Promise.race([
    until(() => (existsSync(`${file}.paused`) ? (JSON.parse(readFileSync(`${file}.paused`, 'utf8')) as Record<string, number>) : null), `${program} reaching its pause point ${options.at}`, 240_000),
    run.then((r) => Promise.reject(new Error(`${program} ended before its pause point ${options.at}: ${JSON.stringify(r.result)}`))),
  ]);
  paused.catch(() => undefined); // awaited by the caller
  return { program, run, paused, resume: () => writeFileSync(file, '') };
}
