// Checking an access-log entry's inclusion proof in the browser, exactly as the service
// builds it (api/audit/entries.py, chain/merkle.py): the leaf is keccak256(keccak256(the
// canonical JSON of the entry document)); pairs are hashed sorted (OpenZeppelin MerkleProof).
// Loaded on demand (viem) by src/lib/auditVerify.ts.

import { concat, hexToBytes, keccak256, stringToBytes, type Hex } from "viem";

/** The JSON of an entry document as Python's json.dumps(sort_keys=True,
 * separators=(",", ":"), ensure_ascii=True) writes it. */
export function canonicalJson(value: unknown): string {
  const json = JSON.stringify(sortKeys(value));
  // ensure_ascii: everything outside printable ASCII (space to "~") as \uXXXX, lowercase hex.
  return json.replace(/[\u007f-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
    return sorted;
  }
  return value;
}

/** The Merkle leaf of an entry document: keccak256(keccak256(canonical JSON)). */
export function entryLeaf(document: Record<string, unknown>): Hex {
  return keccak256(keccak256(stringToBytes(canonicalJson(document))));
}

function lessThan(a: Hex, b: Hex): boolean {
  const x = hexToBytes(a);
  const y = hexToBytes(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]!;
  return x.length < y.length;
}

/** OpenZeppelin's commutative node hash: keccak256 of the two nodes in ascending order. */
export function hashPair(a: Hex, b: Hex): Hex {
  return lessThan(a, b) ? keccak256(concat([a, b])) : keccak256(concat([b, a]));
}

/** The root a proof leads to from a leaf (MerkleProof.processProof). */
export function processProof(leaf: Hex, proof: readonly Hex[]): Hex {
  return proof.reduce<Hex>((node, sibling) => hashPair(node, sibling), leaf);
}

export function sameHash(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export type ProofInput = { entry: Record<string, unknown>; leaf: string; proof: readonly string[]; root: string };
export type ProofCheck = "ok" | "leaf-mismatch" | "proof-mismatch";

const HASH = /^0x[0-9a-fA-F]{64}$/;

/** Whether the entry gives its leaf, and the proof leads from that leaf to the root. */
export function checkProof(p: ProofInput): ProofCheck {
  if (!HASH.test(p.leaf) || !sameHash(entryLeaf(p.entry), p.leaf)) return "leaf-mismatch";
  if (!HASH.test(p.root) || !p.proof.every((s) => HASH.test(s))) return "proof-mismatch";
  return sameHash(processProof(p.leaf as Hex, p.proof as Hex[]), p.root) ? "ok" : "proof-mismatch";
}

/** Whether the root the chain holds for the batch is the proof's root. */
export function checkChainRoot(proofRoot: string, chainRoot: string): boolean {
  return HASH.test(chainRoot) && sameHash(proofRoot, chainRoot);
}
