import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from './services.ts';

describe('freePort', () => {
  it('never hands the same port out twice in one process, and each one can be bound', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 200; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    const last = ports.at(-1)!;
    await new Promise<void>((resolve, reject) => {
      const server = createServer().once('error', reject).listen(last, '127.0.0.1', () => server.close(() => resolve()));
    });
  });
});
