// Verifying one access-log entry: its inclusion proof from the service, the leaf and the proof
// checked in this page (src/lib/auditProof.ts), the batch root read from the chain
// (src/lib/auditChain.ts). viem is loaded only when the patient asks.

import { api } from "../api/client";
import { outcome } from "./outcome";

export type Verification =
  | { kind: "verified" }
  | { kind: "pending"; message: string }
  | { kind: "own-node"; message: string }
  | { kind: "failed"; message: string };

export const NOT_ANCHORED = "Not anchored yet — try again in a minute";
export const OWN_NODE = "Verify against your own node";
export const LEAF_MISMATCH = "The entry does not match its leaf";
export const PROOF_MISMATCH = "The proof does not lead to the root";
export const ROOT_MISMATCH = "The chain holds another root for this batch";

function problemDetail(problem: unknown): string {
  if (problem && typeof problem === "object" && "detail" in problem) {
    if (typeof problem.detail === "string") return problem.detail;
  }
  return "";
}

export async function verifyEntry(entryId: string): Promise<Verification> {
  const result = await outcome(
    api.GET("/api/v1/audit/entries/{entry_id}/proof", { params: { path: { entry_id: entryId } } }),
  );
  if (!result.ok) {
    if (result.status === 404 && problemDetail(result.problem).startsWith("this entry is not in a batch yet"))
      return { kind: "pending", message: NOT_ANCHORED };
    if (result.status === 0) return { kind: "failed", message: "The service could not be reached. Try again." };
    return { kind: "failed", message: problemDetail(result.problem) || "The proof of this entry could not be loaded." };
  }
  const p = result.value;
  const { anchoredRoot, checkChainRoot, checkProof, ExternalNode } = await import("./auditChain");
  const check = checkProof(p);
  if (check === "leaf-mismatch") return { kind: "failed", message: LEAF_MISMATCH };
  if (check === "proof-mismatch") return { kind: "failed", message: PROOF_MISMATCH };
  if (!p.anchored) return { kind: "pending", message: NOT_ANCHORED };
  let chainRoot: string;
  try {
    chainRoot = await anchoredRoot(p.contract, p.batch);
  } catch (error) {
    if (error instanceof ExternalNode) return { kind: "own-node", message: OWN_NODE };
    return { kind: "failed", message: "The chain could not be read. Try again." };
  }
  return checkChainRoot(p.root, chainRoot) ? { kind: "verified" } : { kind: "failed", message: ROOT_MISMATCH };
}
