import { defineConfig } from 'prisma/config';
import { PrismaCliAdapter } from './libs/db/src/prisma-cli-adapter.ts';

// Prisma 6's CLI with its bundled WASM schema engine (offline); see libs/db/README.md.
// DATABASE_URL is read when a command needs a database (migrate diff/status/deploy); `generate`
// needs none but Prisma requires the variable to be set (npm run db:generate sets a placeholder).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  engine: 'js',
  experimental: { adapter: true },
  async adapter() {
    const url = process.env['DATABASE_URL'];
    if (!url) throw new Error('DATABASE_URL is required for this prisma command');
    return new PrismaCliAdapter(url);
  },
});
