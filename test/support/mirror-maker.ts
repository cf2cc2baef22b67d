import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * MirrorMaker 2 in dedicated mode (`connect-mirror-maker.sh mm2.properties`, main class
 * org.apache.kafka.connect.mirror.MirrorMaker) from connect-mirror's own classpath in
 * .cache/mirror/libs (scripts/setup.d/15-mirror-maker.sh: the newest connect-mirror the Maven
 * mirror serves, 4.3.1, since 4.4.0 is not served there).
 */
const ROOT = resolve(import.meta.dirname, '../..');
const LIBS = join(ROOT, '.cache/mirror/libs');
const SETUP = join(ROOT, 'scripts/setup.d/15-mirror-maker.sh');

export function mirrorMakerClasspath(): string {
  const ready = () => existsSync(LIBS) && readdirSync(LIBS).some((f) => /^connect-mirror-\d.*\.jar$/.test(f));
  if (!ready()) {
    try {
      execFileSync('bash', [SETUP], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 15 * 60_000 });
    } catch (err) {
      const e = err as { stderr?: Buffer; message: string };
      throw new Error(`MirrorMaker 2's jars are missing from ${LIBS} and ${SETUP} failed (it needs Maven and Maven Central): ${e.stderr?.toString() || e.message}`, { cause: err });
    }
    if (!ready()) throw new Error(`${SETUP} ran but ${LIBS} holds no connect-mirror jar`);
  }
  return `${LIBS}/*`;
}

/** The connect-mirror version on the classpath (its jar's name), for reports. */
export function mirrorMakerVersion(): string {
  mirrorMakerClasspath();
  return readdirSync(LIBS).map((f) => /^connect-mirror-(\d[\w.-]*)\.jar$/.exec(f)?.[1]).find((v) => v !== undefined) ?? 'unknown';
}

export interface MirrorMaker {
  /** What it logged so far (the last 200 kB). */
  log(): string;
  /** The first WARN and ERROR lines it logged and the last few lines: for a failure message. */
  summary(): string;
  exited(): boolean;
  stop(): Promise<void>;
}

/** Starts MirrorMaker 2 with `properties` (an mm2.properties as key → value). Killed by `stop()`. */
export function startMirrorMaker(properties: Record<string, string>, options: { logLevel?: string } = {}): MirrorMaker {
  const classpath = mirrorMakerClasspath();
  const dir = mkdtempSync(join(tmpdir(), 'tributary-mm2-'));
  const propsFile = join(dir, 'mm2.properties');
  writeFileSync(propsFile, Object.entries(properties).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const log4j = join(dir, 'log4j2.properties');
  writeFileSync(log4j, ['status = error', 'appender.out.type = Console', 'appender.out.name = OUT', 'appender.out.target = SYSTEM_OUT', 'appender.out.layout.type = PatternLayout', 'appender.out.layout.pattern = [%d] %p %m (%c)%n', `rootLogger.level = ${options.logLevel ?? 'WARN'}`, 'rootLogger.appenderRef.out.ref = OUT', ''].join('\n'));
  const proc = spawn('java', ['-Xmx384m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${log4j}`, '-cp', classpath, 'org.apache.kafka.connect.mirror.MirrorMaker', propsFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  // Bounded: a long run keeps the last 200 kB, enough for a failure message.
  // MM2_LOG_FILE keeps the whole log (with MM2_LOG_LEVEL=INFO in the test: what each connector did).
  const logFile = process.env.MM2_LOG_FILE;
  if (logFile) writeFileSync(logFile, '');
  const keep = (d: Buffer) => { output = (output + d.toString()).slice(-200_000); if (logFile) appendFileSync(logFile, d); };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  let exited = false;
  const closed = new Promise<void>((done) => proc.once('close', () => { exited = true; done(); }));
  return {
    log: () => output,
    summary: () => {
      const lines = output.split('\n');
      const warnings = lines.filter((l) => /\] (WARN|ERROR) /.test(l)).slice(0, 30);
      return `MirrorMaker 2 ${exited ? 'exited' : 'running'}; its first warnings:\n${warnings.join('\n')}\n…its last lines:\n${lines.slice(-30).join('\n')}`;
    },
    exited: () => exited,
    async stop() {
      if (!exited) proc.kill('SIGKILL');
      await closed;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
