// Which chain the access log is anchored on, and where this page reads it: GET /api/v1/chain
// ({chain_id, rpc_url, ...}). rpc_url is the service's read-only proxy of its embedded chain,
// the public URL of an external node (which the portal's CSP then allows), or null when no
// node is offered to browsers. A service without that route (404) is one with the embedded
// chain's proxy only.

/** The service's read-only JSON-RPC of its embedded chain. */
export const EMBEDDED_RPC = "/api/v1/chain/rpc";

/** `rpcUrl` null: the service offers browsers no node; verify against your own. */
export type ChainInfo = { chainId: number | null; rpcUrl: string | null };

/** The chain info from the body of GET /api/v1/chain, or null when it is not one. */
export function parseChainInfo(body: unknown): ChainInfo | null {
  if (typeof body !== "object" || body === null) return null;
  const b = body as Record<string, unknown>;
  const rpc = b["rpc_url"];
  const id = b["chain_id"];
  const chainId = typeof id === "number" && Number.isInteger(id) ? id : null;
  if (!("rpc_url" in b)) return null;
  if (rpc === null) return { chainId, rpcUrl: null };
  if (typeof rpc !== "string") return null;
  return { chainId, rpcUrl: rpc.trim() || null };
}

/** An RPC URL as an absolute one: a relative URL ("/api/v1/chain/rpc") against `origin`. */
export function absoluteRpcUrl(rpcUrl: string, origin: string): string {
  return new URL(rpcUrl, origin).toString();
}

let asked: Promise<ChainInfo> | null = null;

/**
 * Where to read the chain, asked once per page. Plain fetch: the route is not in the typed
 * schema yet. A 404 (an older service) means the embedded chain's proxy; any other failure
 * is thrown, and the next call asks again.
 */
export function chainInfo(): Promise<ChainInfo> {
  asked ??= askChainInfo().catch((error: unknown) => {
    asked = null;
    throw error;
  });
  return asked;
}

async function askChainInfo(): Promise<ChainInfo> {
  const response = await fetch("/api/v1/chain", { headers: { Accept: "application/json" } });
  if (response.status === 404) return { chainId: null, rpcUrl: EMBEDDED_RPC };
  if (!response.ok) throw new Error(`GET /api/v1/chain answered ${response.status}`);
  const info = parseChainInfo(await response.json());
  if (!info) throw new Error("GET /api/v1/chain did not answer {chain_id, rpc_url}");
  return info;
}
