/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import wasm from "vite-plugin-wasm";
import { initialJsBudget } from "./build-tools/initialJsBudget.ts";

// The API is served from the same origin (`/api/v1/...`); the built files land in dist/.
// vite-plugin-wasm: the Umbral wasm (loaded on demand from src/lib/umbral.ts) also works
// in the dev server, not only in the build. initialJsBudget: the build fails when the sign-in
// page's JavaScript is over 150 KiB gzipped.
export default defineConfig({
  plugins: [react(), wasm(), initialJsBudget()],
  test: { environment: "node", include: ["src/**/*.test.ts", "build-tools/**/*.test.ts"] },
});
