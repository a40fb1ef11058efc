// Build: writes the UI into the master's package (served at `/`), with
// relative asset URLs so that the UI also works behind a path prefix.
// Dev: `npm run dev` serves on 127.0.0.1:5173 and forwards the master's
// endpoints to a master running on 127.0.0.1:8010 (or at MARID_MASTER_URL).
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const master = env.MARID_MASTER_URL ?? "http://127.0.0.1:8010";

export default defineConfig({
  base: "./",
  plugins: [react()],
  build: {
    outDir: "../master/marid/www/static",
    emptyOutDir: true,
    chunkSizeWarningLimit: 400,
  },
  server: {
    host: "127.0.0.1",
    port: 5173,
    strictPort: true,
    proxy: {
      "/api": master,
      "/config": master,
      "/auth": master,
      "/ws": { target: master.replace("http", "ws"), ws: true },
    },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts", "src/**/*.test.tsx"],
    restoreMocks: true,
  },
});
