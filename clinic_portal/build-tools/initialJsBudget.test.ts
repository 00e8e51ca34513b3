import { describe, expect, it } from "vitest";
import { gzippedSize, initialChunks, type ChunkLike } from "./initialJsBudget.ts";

const chunk = (fileName: string, imports: string[], isEntry = false, code = "x"): ChunkLike => ({
  type: "chunk",
  fileName,
  code,
  isEntry,
  imports,
});

describe("initialChunks", () => {
  it("counts the entry and its static imports, transitively, not what loads later", () => {
    const bundle = {
      "index.js": chunk("index.js", ["react.js"], true),
      "react.js": chunk("react.js", ["shared.js"]),
      "shared.js": chunk("shared.js", ["react.js"]), // cycles end
      "wallet.js": chunk("wallet.js", ["shared.js"]), // loaded on demand
      "style.css": { type: "asset" as const, fileName: "style.css" },
    };
    expect(initialChunks(bundle).map((c) => c.fileName).sort()).toEqual(["index.js", "react.js", "shared.js"]);
  });
  it("measures gzipped bytes", () => {
    const big = chunk("a.js", [], true, "a".repeat(100_000));
    expect(gzippedSize([big])).toBeGreaterThan(50);
    expect(gzippedSize([big])).toBeLessThan(1_000);
  });
});
