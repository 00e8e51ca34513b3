// Verifying one access-log entry: its inclusion proof from the service, the leaf recomputed
// from the entry and the proof folded in this page (src/lib/auditProof.ts), the batch root
// read from the chain (src/lib/auditChain.ts) at the RPC URL GET /api/v1/chain names.
// viem is loaded only when someone asks. Returns states, not words: the screen words them.

import { api } from "../api/client";
import { chainInfo } from "./auditChainInfo";
import { outcome } from "./outcome";

/** What was checked: shown so a person can compare it with the chain themselves. */
export type ProofDetails = {
  /** The leaf recomputed here from the entry (keccak256(keccak256(canonical JSON))). */
  leaf: string;
  /** The leaf the service gave. */
  serviceLeaf: string;
  /** The sibling hashes, leaf to root. */
  proof: string[];
  /** The root the proof leads to, as the service gave it. */
  root: string;
  /** The root AuditAnchor.batchRoot(batch) holds on chain, once read. */
  chainRoot: string | null;
  batch: number;
  contract: string;
  chainId: number;
  /** Where the chain was read (null: the service offers browsers no node). */
  rpcUrl: string | null;
};

export type Verification =
  /** The entry, its proof and the chain's root agree. */
  | { kind: "verified"; details: ProofDetails }
  /** Not in a closed batch yet, or its root not on chain yet. */
  | { kind: "pending"; details: ProofDetails | null }
  /** Tampered: the entry is not its leaf, the proof does not lead to the root, or the chain holds another root. */
  | { kind: "mismatch"; what: "leaf" | "proof" | "root"; details: ProofDetails }
  /** The chain could not be read. */
  | { kind: "unreachable"; details: ProofDetails }
  /** The service offers no node to read the chain from: check against one's own. */
  | { kind: "own-node"; details: ProofDetails }
  /** The proof could not be loaded (`status` 0: the service was not reached). */
  | { kind: "failed"; status: number; problem: unknown };

const ZERO_ROOT = /^0x0{64}$/;

function problemText(problem: unknown): string {
  if (problem && typeof problem === "object" && "detail" in problem && typeof problem.detail === "string") {
    return problem.detail;
  }
  return "";
}

export async function verifyEntry(entryId: string): Promise<Verification> {
  const result = await outcome(
    api.GET("/api/v1/audit/entries/{entry_id}/proof", { params: { path: { entry_id: entryId } } }),
  );
  if (!result.ok) {
    if (result.status === 404 && problemText(result.problem).startsWith("this entry is not in a batch yet"))
      return { kind: "pending", details: null };
    return { kind: "failed", status: result.status, problem: result.problem };
  }
  const p = result.value;
  const { anchoredRoot, checkChainRoot, checkProof, entryLeaf, ExternalNode } = await import("./auditChain");
  const details: ProofDetails = {
    leaf: entryLeaf(p.entry),
    serviceLeaf: p.leaf,
    proof: p.proof,
    root: p.root,
    chainRoot: null,
    batch: p.batch,
    contract: p.contract,
    chainId: p.chain_id,
    rpcUrl: null,
  };
  const check = checkProof(p);
  if (check === "leaf-mismatch") return { kind: "mismatch", what: "leaf", details };
  if (check === "proof-mismatch") return { kind: "mismatch", what: "proof", details };
  if (!p.anchored) return { kind: "pending", details };
  let rpcUrl: string | null;
  try {
    rpcUrl = (await chainInfo()).rpcUrl;
  } catch {
    return { kind: "unreachable", details };
  }
  if (rpcUrl === null) return { kind: "own-node", details };
  details.rpcUrl = rpcUrl;
  let chainRoot: string;
  try {
    chainRoot = await anchoredRoot(rpcUrl, p.contract, p.batch);
  } catch (error) {
    if (error instanceof ExternalNode) return { kind: "own-node", details: { ...details, rpcUrl: null } };
    return { kind: "unreachable", details };
  }
  details.chainRoot = chainRoot;
  // The anchoring transaction not mined yet on the node read: the chain holds no root for it.
  if (ZERO_ROOT.test(chainRoot)) return { kind: "pending", details };
  return checkChainRoot(p.root, chainRoot)
    ? { kind: "verified", details }
    : { kind: "mismatch", what: "root", details };
}
