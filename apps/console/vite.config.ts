import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Built to dist/ and served by the API at / (apps/api/src/plugins/console.ts). `npm run dev` proxies
// /v1 to a running API (TRIBUTARY_API, default the local stack's http://127.0.0.1:8080).
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: { proxy: { '/v1': process.env['TRIBUTARY_API'] ?? 'http://127.0.0.1:8080' } },
});
