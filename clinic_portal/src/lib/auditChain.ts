// Reading an anchored batch root from the chain with viem. Loaded on demand by
// src/lib/auditVerify.ts: the RPC URL is the one GET /api/v1/chain names (the service's
// read-only proxy of its embedded chain, same origin, or an external node's public URL).

import { BaseError, createPublicClient, getAddress, http, HttpRequestError, type Hex } from "viem";
import { absoluteRpcUrl } from "./auditChainInfo";

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

/**
 * The root `AuditAnchor.batchRoot(batch)` holds on chain, read through `rpcUrl` (a relative
 * URL is taken against this page's origin).
 */
export async function anchoredRoot(rpcUrl: string, contract: string, batch: number): Promise<Hex> {
  const url = absoluteRpcUrl(rpcUrl, location.origin);
  const client = createPublicClient({ transport: http(url, { retryCount: 0, timeout: 15_000 }) });
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

export { checkChainRoot, checkProof, entryLeaf } from "./auditProof";
