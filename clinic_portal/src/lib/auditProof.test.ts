import { describe, expect, it } from "vitest";
import { canonicalJson, checkChainRoot, checkProof, entryLeaf, processProof } from "./auditProof";

// Generated with the service's own code (from /work/main):
//   api.audit.entries.document_leaf / canonical_bytes, chain.merkle.MerkleTree over five entries.
const ROOT = "0x52253f41f7a0c121876b0284fde6b0bafb13d047ddfb0ee14e3e2701f3fd687f";
const FIRST = {
  entry: {
    id: "0f6c1f0e-2a4b-4c5d-8e9f-000000000000",
    at: "2026-11-30T10:10:05.123456Z",
    accessor: "UHID00000001",
    accessor_org: "5b1f6a2e-8c3d-4e7f-9a10-2b3c4d5e6f70",
    patient: "UHID00009999",
    record: "rec-1",
    action: "read",
    purpose: "treatment",
    outcome: "granted",
    basis: "consent",
    grant_id: "grant-7",
  } as Record<string, unknown>,
  leaf: "0x423a66650bd00f7aefbb0a6b7f477f52bcc0d2705e71e7aa560e4232531576d7",
  proof: [
    "0x00b7f9a10d8d489ed89ef60bf387bcd748ffcad495f3c8e0e170f8aacdfa306c",
    "0xb2900b56ebce3238fe12633ad736eb89e2b987a4e5df22993520cd0315f20bbb",
    "0x29fbd8cb4c6eaafcc7ee0cc3c19135d11e0431a25719a1297963681d064ac616",
  ] as `0x${string}`[],
  root: ROOT,
};
const FIRST_CANONICAL =
  '{"accessor":"UHID00000001","accessor_org":"5b1f6a2e-8c3d-4e7f-9a10-2b3c4d5e6f70","action":"read","at":"2026-11-30T10:10:05.123456Z","basis":"consent","grant_id":"grant-7","id":"0f6c1f0e-2a4b-4c5d-8e9f-000000000000","outcome":"granted","patient":"UHID00009999","purpose":"treatment","record":"rec-1"}';
// Non-ASCII, a line separator, quotes and a slash, as Python's ensure_ascii JSON writes them.
const THIRD = {
  entry: {
    id: "0f6c1f0e-2a4b-4c5d-8e9f-000000000002",
    at: "2026-11-30T10:12:05.123456Z",
    accessor: "UHID00000003",
    accessor_org: "5b1f6a2e-8c3d-4e7f-9a10-2b3c4d5e6f70",
    patient: "UHID00009999",
    record: "rec-3",
    action: "read",
    purpose: 'r\u00e9search \u00e9\u2028/"q"',
    outcome: "granted",
    basis: "consent",
    grant_id: "grant-9",
  } as Record<string, unknown>,
  leaf: "0x5f27b48f7c783ce59a20e383a5dbd7ec555c19adf8c5d554a7f86ecc3e62779c",
  proof: [
    "0x9213ac4becb080e0a952cf699fb31c2ce1088d0e25ad21fe2b8da07acf4e3e2f",
    "0x3762b97e14e2d0da7fa9d0f530680162e2bfb5fc414385c13ca8caedb7fd07ec",
  ] as `0x${string}`[],
  root: ROOT,
};

describe("inclusion proofs of access-log entries", () => {
  it("writes the entry document as the service's canonical JSON", () => {
    expect(canonicalJson(FIRST.entry)).toBe(FIRST_CANONICAL);
    expect(canonicalJson(THIRD.entry)).toContain('"purpose":"r\\u00e9search \\u00e9\\u2028/\\"q\\""');
  });

  it("recomputes the leaf the service gave (double keccak256)", () => {
    expect(entryLeaf(FIRST.entry)).toBe(FIRST.leaf);
    expect(entryLeaf(THIRD.entry)).toBe(THIRD.leaf);
  });

  it("folds real proofs to the batch root", () => {
    expect(processProof(FIRST.leaf as `0x${string}`, FIRST.proof)).toBe(ROOT);
    expect(processProof(THIRD.leaf as `0x${string}`, THIRD.proof)).toBe(ROOT);
    expect(checkProof(FIRST)).toBe("ok");
    expect(checkProof(THIRD)).toBe("ok");
  });

  it("finds a tampered entry", () => {
    expect(checkProof({ ...FIRST, entry: { ...FIRST.entry, purpose: "research" } })).toBe("leaf-mismatch");
    expect(checkProof({ ...FIRST, entry: { ...FIRST.entry, accessor_org: null } })).toBe("leaf-mismatch");
  });

  it("finds a tampered proof or root", () => {
    const tampered = [...FIRST.proof];
    tampered[1] = "0xb2900b56ebce3238fe12633ad736eb89e2b987a4e5df22993520cd0315f20bbc";
    expect(checkProof({ ...FIRST, proof: tampered })).toBe("proof-mismatch");
    expect(checkProof({ ...FIRST, proof: FIRST.proof.slice(0, 2) })).toBe("proof-mismatch");
    expect(checkProof({ ...FIRST, proof: THIRD.proof })).toBe("proof-mismatch");
    expect(checkProof({ ...FIRST, root: THIRD.leaf })).toBe("proof-mismatch");
  });

  it("compares the proof's root with the root on chain", () => {
    expect(checkChainRoot(ROOT, ROOT.toUpperCase().replace("0X", "0x"))).toBe(true);
    expect(checkChainRoot(ROOT, "0x" + "0".repeat(64))).toBe(false);
    expect(checkChainRoot(ROOT, "0x")).toBe(false);
  });
});
