import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** Where `npm run dev -w ui` forwards API calls; the hub's default port unless SIMPUL_HUB_URL says otherwise. */
const hub = process.env.SIMPUL_HUB_URL ?? 'http://127.0.0.1:8103';
const proxied = ['/fhir', '/oauth2', '/auth', '/admin', '/dicomweb', '/.well-known', '/app/config.json'];

export default defineConfig({
  base: '/app/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 4000 },
  server: { port: 5173, proxy: Object.fromEntries(proxied.map((path) => [path, { target: hub, changeOrigin: false }])) },
});
