/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import wasm from "vite-plugin-wasm";

// The API is served from the same origin (`/api/v1/...`); the built files land in dist/.
// vite-plugin-wasm: the Umbral wasm (loaded on demand from src/lib/umbral.ts) also works
// in the dev server, not only in the build.
export default defineConfig({
  plugins: [react(), wasm()],
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
