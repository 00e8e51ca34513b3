// Reading an anchored batch root from the chain with viem. Loaded on demand by
// src/lib/auditVerify.ts: the service's read-only JSON-RPC of its embedded chain, same origin.

import { BaseError, createPublicClient, getAddress, http, HttpRequestError, type Hex } from "viem";

const AUDIT_ANCHOR_ABI = [
  {
    type: "function",
    name: "batchRoot",
    stateMutability: "view",
    inputs: [{ name: "batch", type: "uint256" }],
    outputs: [{ name: "", type: "bytes32" }],
  },
] as const;

/** The service uses an external chain node: its RPC proxy answers 404. */
export class ExternalNode extends Error {}

/** The root `AuditAnchor.batchRoot(batch)` holds on chain. */
export async function anchoredRoot(contract: string, batch: number): Promise<Hex> {
  const client = createPublicClient({ transport: http(`${location.origin}/api/v1/chain/rpc`, { retryCount: 0 }) });
  try {
    return await client.readContract({
      address: getAddress(contract),
      abi: AUDIT_ANCHOR_ABI,
      functionName: "batchRoot",
      args: [BigInt(batch)],
    });
  } catch (error) {
    const http404 =
      error instanceof BaseError && error.walk((e) => e instanceof HttpRequestError && e.status === 404);
    if (http404) throw new ExternalNode("the service uses an external chain node");
    throw error;
  }
}

export { checkChainRoot, checkProof } from "./auditProof";
