import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ephemeralPortStart, freeLoopbackPort } from './free-port.ts';

describe('freeLoopbackPort', () => {
  it('chooses ports below the kernel ephemeral range (where outgoing connections never take them) that can be bound', async () => {
    const top = ephemeralPortStart();
    const ports = await Promise.all(Array.from({ length: 10 }, () => freeLoopbackPort('127.0.0.1')));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(20000);
      expect(port).toBeLessThan(top);
      const server = createServer();
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
