import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from './services.ts';

describe('freePort', () => {
  it('never hands the same port out twice in one process, each from this worker\'s slice below the ephemeral range, and each one can be bound', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 200; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    // Below the kernel's ephemeral range, in this worker's slice of 10000–19999.
    const pool = Number(process.env['VITEST_POOL_ID']);
    const first = 10_000 + ((pool - 1) % 8) * 1_250;
    expect(ports.every((p) => p >= first && p < first + 1_250)).toBe(true);
    const last = ports.at(-1)!;
    await new Promise<void>((resolve, reject) => {
      const server = createServer().once('error', reject).listen(last, '127.0.0.1', () => server.close(() => resolve()));
    });
  });
});
