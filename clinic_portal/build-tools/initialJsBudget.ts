// The build fails when the JavaScript a browser must load before the sign-in page shows
// (the entry chunk and everything it imports statically) is over budget, gzipped. Screens,
// the wallet, viem and the Umbral wasm load on demand (dynamic imports) and do not count.

import { gzipSync } from "node:zlib";
import type { Plugin } from "vite";

export const INITIAL_JS_BUDGET_BYTES = 150 * 1024;

/** What this check reads of a chunk of the output bundle. */
export type ChunkLike = { type: "chunk"; fileName: string; code: string; isEntry: boolean; imports: string[] };
type OutputLike = ChunkLike | { type: "asset"; fileName: string };

/** The entry chunks and their static imports, transitively: what the first page loads. */
export function initialChunks(bundle: Record<string, OutputLike>): ChunkLike[] {
  const chunks = new Map<string, ChunkLike>();
  for (const item of Object.values(bundle)) if (item.type === "chunk") chunks.set(item.fileName, item);
  const seen = new Set<string>();
  const pending = [...chunks.values()].filter((c) => c.isEntry).map((c) => c.fileName);
  while (pending.length > 0) {
    const name = pending.pop();
    if (name === undefined || seen.has(name)) continue;
    seen.add(name);
    pending.push(...(chunks.get(name)?.imports ?? []));
  }
  return [...seen].flatMap((name) => {
    const chunk = chunks.get(name);
    return chunk ? [chunk] : [];
  });
}

export function gzippedSize(chunks: readonly ChunkLike[]): number {
  return chunks.reduce((total, c) => total + gzipSync(c.code, { level: 9 }).length, 0);
}

export function initialJsBudget(limit = INITIAL_JS_BUDGET_BYTES): Plugin {
  return {
    name: "ohms-initial-js-budget",
    apply: "build",
    generateBundle(_options, bundle) {
      const initial = initialChunks(bundle);
      const size = gzippedSize(initial);
      const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
      const files = initial.map((c) => c.fileName).join(", ");
      if (size > limit) {
        this.error(`initial JavaScript is ${kib(size)} gzipped, over its budget of ${kib(limit)}: ${files}`);
      }
      this.info(`initial JavaScript: ${kib(size)} gzipped (budget ${kib(limit)}): ${files}`);
    },
  };
}
