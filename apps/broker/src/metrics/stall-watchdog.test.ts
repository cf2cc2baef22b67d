import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StallWatchdog } from './stall-watchdog.ts';

/**
 * The watchdog must report while the main thread is still stuck: these tests block this thread
 * (the thing under test, not a wait for something else) and read what the watchdog's thread wrote
 * in the meantime, before the loop ran again.
 */

const dir = mkdtempSync(join(tmpdir(), 'stall-watchdog-'));
let watchdog: StallWatchdog | null = null;
let fd = -1;

afterEach(async () => {
  await watchdog?.stop();
  watchdog = null;
  if (fd >= 0) closeSync(fd);
  fd = -1;
});

/** Starts a watchdog writing to a fresh file; returns that file's path. */
function start(name: string, stallMs: number): string {
  const file = join(dir, name);
  fd = openSync(file, 'w');
  watchdog = new StallWatchdog({ fields: { component: 'broker', nodeId: 7 }, stallMs, beatMs: 20, fd });
  return file;
}

/** Process CPU (ms) used by the last blockUntilLines, from its start until the lines were there. */
let blockedCpuMs = 0;

type Line = Record<string, unknown>;

/** Blocks this thread until the lines in `file` satisfy `done` or `limitMs` passed; the lines read while still blocked. */
function blockUntilLines(file: string, done: (lines: Line[]) => boolean, limitMs: number, busy: boolean): Line[] {
  const started = Date.now();
  const cpuAtStart = process.cpuUsage();
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  let lines: Line[] = [];
  while (Date.now() - started < limitMs) {
    lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
    if (done(lines)) break;
    if (busy) for (const end = Date.now() + 20; Date.now() < end; );
    else Atomics.wait(sleeper, 0, 0, 20);
  }
  const cpu = process.cpuUsage(cpuAtStart);
  blockedCpuMs = (cpu.user + cpu.system) / 1000;
  return lines;
}

const stalls = (lines: Line[]) => lines.filter((l) => l.msg === 'event loop stalled');
const stacks = (lines: Line[]) => lines.filter((l) => l.msg === 'event loop stalled: main thread stack');

describe('StallWatchdog', () => {
  it('writes "event loop stalled" while a busy loop still holds the main thread, again when the stall doubles, with the CPU it burnt and where it spins', async () => {
    const file = start('busy.log', 300);
    // Let the worker start and see a first beat (its thread needs the loop to come up).
    await new Promise<void>((resolve) => setTimeout(resolve, 200));
    const all = blockUntilLines(file, (l) => stalls(l).length >= 2 && stacks(l).length >= 1, 10_000, true);
    const lines = stalls(all);
    expect(lines.length, 'stall lines written while the loop was blocked').toBe(2);
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'event loop stalled', component: 'broker', nodeId: 7 });
    expect(lines[0]!.stalledMs).toBeGreaterThanOrEqual(300);
    expect(lines[1]!.stalledMs).toBeGreaterThanOrEqual(600);
    // The main thread's stack, taken while it spun: the busy loop's function is on it.
    const [stack] = stacks(all);
    expect(stack, 'a stack line written while the loop was blocked').toBeDefined();
    expect(stack).toMatchObject({ level: 'warn', nodeId: 7, stillStalled: true });
    expect((stack!.frames as string[]).some((f) => f.startsWith('blockUntilLines ')), JSON.stringify(stack!.frames)).toBe(true);
    // A busy loop: the line counts the CPU it burnt (how much it got depends on the machine's load:
    // compared with what this thread measured over nearly the same time, the watchdog counting
    // from the last beat it saw, at most one check (20 ms) after it was stored).
    expect(lines[1]!.cpuMs as number).toBeGreaterThanOrEqual(blockedCpuMs * 0.5 - 30);
    expect(lines[1]!.cpuMs as number).toBeGreaterThan(0);
  });

  it('tells a stuck wait from a busy loop: almost no CPU', async () => {
    const file = start('wait.log', 300);
    await new Promise<void>((resolve) => setTimeout(resolve, 200));
    const lines = stalls(blockUntilLines(file, (l) => stalls(l).length >= 1, 10_000, false));
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatchObject({ msg: 'event loop stalled' });
    expect(lines[0]!.cpuMs as number).toBeLessThan((lines[0]!.stalledMs as number) / 4);
  });

  it('writes nothing while the loop keeps running', async () => {
    const file = start('idle.log', 300);
    // The loop runs freely for 3 stall periods.
    await new Promise<void>((resolve) => setTimeout(resolve, 900));
    expect(readFileSync(file, 'utf8')).toBe('');
  });
});

process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
