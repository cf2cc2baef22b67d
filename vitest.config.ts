import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// One runner for the whole repository: unit tests live beside the code, cross-part suites in test/.
export default defineConfig({
  test: {
    include: ['apps/*/src/**/*.test.ts', 'libs/*/src/**/*.test.ts', 'libs/*/scripts/**/*.test.ts', 'test/**/*.test.ts', 'scripts/**/*.test.ts', 'bench/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Suites start real servers (PostgreSQL, Redis, etcd, brokers); two cores do not gain from more forks.
    pool: 'forks',
    // kafkajs 2.2.4 passes setTimeout a negative delay (about -1.8e12 ms) on every connection: repaired
    // in each worker process before any test file loads (Node runs the TypeScript file itself).
    execArgv: ['--import', fileURLToPath(new URL('test/support/kafkajs-timers.ts', import.meta.url))],
    maxWorkers: 2,
  },
});
