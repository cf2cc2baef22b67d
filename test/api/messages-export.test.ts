import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useMessagesHarness } from '../support/messages-harness.ts';

// An export of 100,000 messages (~210 MB of NDJSON) streams in bounded memory. Measured as the
// growth of this process's peak RSS (VmHWM, reset through /proc/self/clear_refs after a warm-up):
// the API and the reading client both run here, so an exporter that held the export (or let the
// socket buffer it) would grow by more than the export's size; a bounded one by a fraction of it.
const COUNT = 100_000;
const VALUE_BYTES = 2048;
const GROWTH_LIMIT = 120 * 1024 * 1024;

const h = useMessagesHarness({ keys: { admin: 'admin' }, brokers: 1, app: { rateLimitMax: 600 } });

const kib = (line: string) => Number(/^(?:VmRSS|VmHWM):\s+(\d+) kB/m.exec(line)?.[1] ?? NaN) * 1024;
const status = () => readFileSync('/proc/self/status', 'utf8');
const rss = () => kib(status().split('\n').find((l) => l.startsWith('VmRSS:'))!);
const peak = () => kib(status().split('\n').find((l) => l.startsWith('VmHWM:'))!);

/** kcat -P fed from a generator, with back-pressure: the 200 MB input never sits in memory. */
function produce(args: string[], lines: () => Generator<string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', ['-P', ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`kcat -P exited ${code}: ${stderr.slice(-2000)}`));
    });
    const it = lines();
    const pump = () => {
      for (;;) {
        const next = it.next();
        if (next.done) return void child.stdin.end();
        if (!child.stdin.write(next.value)) return void child.stdin.once('drain', pump);
      }
    };
    pump();
  });
}

beforeAll(async () => {
  await h.createTopic('bulk', 4);
  await h.allow('admin', 'bulk', ['READ']);
  const filler = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(Math.ceil(VALUE_BYTES / 36)).slice(0, VALUE_BYTES - 12);
  await produce(['-b', h.bootstrap[0]!, '-t', 'bulk', '-K', ':', '-X', 'acks=1', '-X', 'linger.ms=20'], function* () {
    for (let i = 0; i < COUNT; i++) yield `k${i}:${String(i).padStart(10, '0')}-${filler}\n`;
  });
}, 300_000);

async function exportAll(query: string): Promise<{ lines: number; bytes: number; perPartition: Map<number, { count: number; last: number }> }> {
  const res = await h.fetch(h.messages('bulk', `/export${query}`));
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const perPartition = new Map<number, { count: number; last: number }>();
  let lines = 0;
  let bytes = 0;
  let carry = '';
  const decoder = new TextDecoder();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    bytes += value.length;
    const text = carry + decoder.decode(value, { stream: true });
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      // Only the head of each line: {"partition":P,"offset":O,...
      const m = /^\{"partition":(\d+),"offset":(\d+),/.exec(text.slice(start, start + 64));
      expect(m).not.toBeNull();
      const p = Number(m![1]);
      const o = Number(m![2]);
      const s = perPartition.get(p) ?? { count: 0, last: -1 };
      expect(o).toBeGreaterThan(s.last); // in order within a partition
      perPartition.set(p, { count: s.count + 1, last: o });
      lines++;
      start = nl + 1;
    }
    carry = text.slice(start);
  }
  expect(carry).toBe('');
  return { lines, bytes, perPartition };
}

describe('export', () => {
  it('streams 100,000 messages as NDJSON in bounded memory', async () => {
    // Warm-up: the same path on a small range, so code and pools exist before the measurement.
    expect((await exportAll('?maxRecords=2000')).lines).toBe(2000);
    const before = rss();
    writeFileSync('/proc/self/clear_refs', '5'); // resets VmHWM to the current RSS
    const started = Date.now();
    const all = await exportAll('');
    const growth = peak() - before;
    console.log(`export: ${all.lines} lines, ${(all.bytes / 1048576).toFixed(0)} MiB in ${Date.now() - started} ms; peak RSS grew ${(growth / 1048576).toFixed(1)} MiB`);
    expect(all.lines).toBe(COUNT);
    expect([...all.perPartition.values()].reduce((n, p) => n + p.count, 0)).toBe(COUNT);
    for (const p of all.perPartition.values()) expect(p.last).toBe(p.count - 1);
    expect(all.bytes).toBeGreaterThan(COUNT * VALUE_BYTES);
    expect(growth).toBeLessThan(GROWTH_LIMIT);
    expect(growth).toBeLessThan(all.bytes / 2);
  }, 300_000);
});
