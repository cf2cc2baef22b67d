import { Worker } from 'node:worker_threads';

export interface StallWatchdogOptions {
  /** Fields every line carries (the broker logger's own: component, nodeId), so a line reads like any other. */
  fields: Record<string, unknown>;
  /** A loop that has not run for this long is reported, and again each time the stall doubles. */
  stallMs?: number;
  /** How often the main thread marks that its loop ran. */
  beatMs?: number;
  /** Where the lines go: a file descriptor written synchronously from the watchdog's thread (stdout by default). */
  fd?: number;
}

/**
 * Reports an event loop that is stalled *while* it is stalled. EventLoopDelay (event-loop-delay.ts)
 * logs a blocked loop only once it runs again, and a broker that never comes back (or is killed by a
 * test's time limit first: session 14's three brokers that answered nothing for 10 minutes) left no
 * line at all. Here the main thread stores the time in shared memory every `beatMs`; a worker
 * thread, which keeps running while the main one is stuck, checks it and writes
 * `event loop stalled` straight to the file descriptor (the main thread's stdout stream cannot
 * write while it is stuck) after `stallMs`, then after 2×, 4×, … as long as it lasts. Each line
 * says for how long, and how much CPU the process used meanwhile: about as much as the stall is a
 * busy loop; near zero is a wait (a synchronous call, a lock). With the first line it asks the
 * main thread for its JavaScript stack (the inspector, connected from this thread) and writes it as
 * `event loop stalled: main thread stack`: where a busy loop spins, or, after a synchronous call
 * returns, the code that made it (`stillStalled` false then).
 */
export class StallWatchdog {
  readonly #beat: BigInt64Array;
  readonly #timer: NodeJS.Timeout;
  readonly #worker: Worker;

  constructor({ fields, stallMs = 5000, beatMs = 250, fd = 1 }: StallWatchdogOptions) {
    this.#beat = new BigInt64Array(new SharedArrayBuffer(8));
    this.#mark();
    this.#timer = setInterval(() => this.#mark(), beatMs);
    this.#timer.unref();
    this.#worker = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { beat: this.#beat, fields, stallMs, fd, checkMs: Math.max(10, Math.min(beatMs, stallMs / 4)) } });
    this.#worker.unref();
  }

  #mark(): void {
    Atomics.store(this.#beat, 0, BigInt(Date.now()));
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#worker.terminate();
  }
}

/** The worker's code (plain JavaScript, evaluated: the broker is one bundled file). */
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const inspector = require('node:inspector');
const { beat, fields, stallMs, fd, checkMs } = workerData;
let reportAt = stallMs;
let seenBeat = Atomics.load(beat, 0);
let cpuAtBeat = process.cpuUsage();
let session = null;
let asking = false;
const scripts = new Map();

function write(level, msg, more) {
  const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields, ...more });
  try { writeSync(fd, line + '\\n'); } catch {}
}

// The main thread's JavaScript stack, through the inspector: a pause request is served at the main
// thread's next JavaScript statement, so a busy loop shows where it spins; a thread stuck in a
// synchronous call shows the code that made it once the call returns (said in the line).
function askStack(stall) {
  if (asking) return;
  asking = true;
  try {
    if (!session) {
      session = new inspector.Session();
      session.connectToMainThread();
      // Frames name their script by id; Debugger.enable lists every script first.
      session.on('Debugger.scriptParsed', ({ params }) => scripts.set(params.scriptId, params.url));
    }
  } catch (err) { asking = false; write('warn', 'event loop stalled: no stack', { reason: String(err) }); return; }
  session.once('Debugger.paused', ({ params }) => {
    const stillStalled = Atomics.load(beat, 0) === stall;
    const frames = params.callFrames.slice(0, 15).map((f) => (f.functionName || '<anonymous>') + ' (' + (f.url || scripts.get(f.location.scriptId) || '?') + ':' + (f.location.lineNumber + 1) + ':' + (f.location.columnNumber + 1) + ')');
    write('warn', 'event loop stalled: main thread stack', { frames, stillStalled });
    session.post('Debugger.resume', () => session.post('Debugger.disable', () => { asking = false; }));
  });
  session.post('Debugger.enable', () => session.post('Debugger.pause'));
}

setInterval(() => {
  const last = Atomics.load(beat, 0);
  if (last !== seenBeat) {
    seenBeat = last;
    reportAt = stallMs;
    cpuAtBeat = process.cpuUsage();
    return;
  }
  const stalledMs = Date.now() - Number(last);
  if (stalledMs < reportAt) return;
  const first = reportAt === stallMs;
  reportAt *= 2;
  const cpu = process.cpuUsage(cpuAtBeat);
  write('warn', 'event loop stalled', { stalledMs, cpuMs: Math.round((cpu.user + cpu.system) / 1000), since: new Date(Number(last)).toISOString() });
  if (first) askStack(last);
}, checkMs);
`;
