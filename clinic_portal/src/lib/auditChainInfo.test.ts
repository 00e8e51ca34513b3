import { describe, expect, it } from "vitest";
import { absoluteRpcUrl, parseChainInfo } from "./auditChainInfo";

describe("where the browser reads the chain", () => {
  it("reads the service's answer", () => {
    expect(parseChainInfo({ chain_id: 31337, rpc_url: "/api/v1/chain/rpc", audit_anchor: "0xabc" })).toEqual({
      chainId: 31337,
      rpcUrl: "/api/v1/chain/rpc",
    });
    expect(parseChainInfo({ chain_id: 11155111, rpc_url: "https://rpc.example.org/" })).toEqual({
      chainId: 11155111,
      rpcUrl: "https://rpc.example.org/",
    });
  });

  it("knows when the service offers browsers no node", () => {
    expect(parseChainInfo({ chain_id: 1, rpc_url: null })).toEqual({ chainId: 1, rpcUrl: null });
    expect(parseChainInfo({ chain_id: 1, rpc_url: "  " })).toEqual({ chainId: 1, rpcUrl: null });
  });

  it("refuses what is not chain info", () => {
    expect(parseChainInfo(null)).toBeNull();
    expect(parseChainInfo("rpc")).toBeNull();
    expect(parseChainInfo({ chain_id: 1 })).toBeNull();
    expect(parseChainInfo({ chain_id: 1, rpc_url: 5 })).toBeNull();
  });

  it("resolves the embedded chain's relative URL against the page's origin", () => {
    expect(absoluteRpcUrl("/api/v1/chain/rpc", "https://ohms.example.in")).toBe(
      "https://ohms.example.in/api/v1/chain/rpc",
    );
    expect(absoluteRpcUrl("https://node.example.org:8545/", "https://ohms.example.in")).toBe(
      "https://node.example.org:8545/",
    );
  });
});
