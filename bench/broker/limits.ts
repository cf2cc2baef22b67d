import { spawn } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What this machine can do at all, measured in the same run as the broker figures: loopback TCP
 * between two Node processes, sequential file appends with and without fdatasync, fdatasync latency,
 * and a minimal produce path (frame → CRC32C → append → ack) written for the purpose.
 */
const SINK = `
const net = require('node:net');
net.createServer((s) => { s.on('error', () => {}); s.on('data', () => {}); }).listen(0, '127.0.0.1', function () { process.stdout.write(String(this.address().port) + '\\n'); });
`;

// The minimal produce path: a server that frames requests, checks a CRC32C over each body, appends
// it to a file (optionally fdatasync per group of frames) and answers with 8 bytes.
const MINIMAL = `
const net = require('node:net'); const fs = require('node:fs'); const { crc32c } = require(${JSON.stringify(require_resolve('@node-rs/crc32'))});
const sync = process.argv[1] === 'sync'; const fd = fs.openSync(process.argv[2], 'a');
net.createServer((s) => {
  s.on('error', () => {});
  let buf = Buffer.alloc(0);
  s.on('data', (d) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d; const acks = [];
    while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
      const n = buf.readInt32BE(0); const body = buf.subarray(4, 4 + n);
      if (crc32c(body) === 0x12345678) process.exit(3);
      fs.writeSync(fd, body); acks.push(Buffer.alloc(8)); buf = buf.subarray(4 + n);
    }
    if (acks.length) { if (sync) fs.fdatasyncSync(fd); s.write(Buffer.concat(acks)); }
  });
}).listen(0, '127.0.0.1', function () { process.stdout.write(String(this.address().port) + '\\n'); });
`;

function require_resolve(name: string): string {
  return import.meta.resolve(name).replace('file://', '');
}

function startScript(source: string, args: string[] = []): Promise<{ port: number; stop: () => void }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', source, '--', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout!.once('data', (d) => resolve({ port: Number(String(d).trim()), stop: () => child.kill('SIGKILL') }));
    child.once('error', reject);
  });
}

async function tcpThroughput(ms: number): Promise<number> {
  const sink = await startScript(SINK);
  const chunk = Buffer.alloc(1 << 20, 1);
  const bytes = await new Promise<number>((resolve) => {
    const s = connect({ host: '127.0.0.1', port: sink.port });
    s.on('error', () => resolve(0));
    s.on('connect', () => {
      const end = performance.now() + ms;
      let sent = 0;
      const pump = () => {
        while (performance.now() < end) {
          sent += chunk.length;
          if (!s.write(chunk)) return void s.once('drain', pump);
        }
        s.end(() => resolve(sent));
      };
      pump();
    });
  });
  sink.stop();
  return bytes / (ms / 1000);
}

function appendThroughput(ms: number, sync: boolean): number {
  const dir = mkdtempSync(join(tmpdir(), 'limits-'));
  const fd = openSync(join(dir, 'f'), 'a');
  const chunk = Buffer.alloc(1 << 20, 2);
  let bytes = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    writeSync(fd, chunk);
    if (sync) fdatasyncSync(fd);
    bytes += chunk.length;
  }
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  return bytes / (ms / 1000);
}

function fdatasyncLatency(n: number): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'limits-'));
  const fd = openSync(join(dir, 'f'), 'a');
  const small = Buffer.alloc(512, 3);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    writeSync(fd, small);
    fdatasyncSync(fd);
    out.push(performance.now() - t);
  }
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  return out;
}

async function minimalProducePath(ms: number, sync: boolean, frameBytes: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'limits-'));
  const server = await startScript(MINIMAL, [sync ? 'sync' : 'nosync', join(dir, 'log')]);
  const frame = Buffer.alloc(4 + frameBytes, 5);
  frame.writeInt32BE(frameBytes, 0);
  const acked = await new Promise<number>((resolve) => {
    const s = connect({ host: '127.0.0.1', port: server.port });
    s.on('error', () => resolve(0));
    s.on('connect', () => {
      const end = performance.now() + ms;
      let outstanding = 0;
      let count = 0;
      const send = () => {
        outstanding++;
        s.write(frame);
      };
      for (let i = 0; i < 8; i++) send();
      let pending = 0;
      s.on('data', (d) => {
        pending += d.length;
        while (pending >= 8) {
          pending -= 8;
          outstanding--;
          count++;
          if (performance.now() < end) send();
          else if (outstanding === 0) {
            s.destroy();
            resolve(count);
          }
        }
      });
    });
  });
  server.stop();
  rmSync(dir, { recursive: true, force: true });
  return (acked * frameBytes) / (ms / 1000);
}

export async function measureLimits(ms = 2000) {
  const latencies = fdatasyncLatency(300).sort((a, b) => a - b);
  return {
    loopbackTcp: await tcpThroughput(ms),
    appendPageCache: appendThroughput(ms, false),
    appendFdatasync: appendThroughput(ms, true),
    fdatasyncP50Ms: latencies[150]!,
    fdatasyncP99Ms: latencies[297]!,
    minimalPathPageCache: await minimalProducePath(ms, false, 64 * 1024),
    minimalPathFdatasync: await minimalProducePath(ms, true, 64 * 1024),
  };
}
