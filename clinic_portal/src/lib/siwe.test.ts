import { privateKeyToAccount } from "viem/accounts";
import { parseSiweMessage, verifySiweMessage } from "viem/siwe";
import { createPublicClient, http } from "viem";
import { describe, expect, it } from "vitest";
import { siweMessage, type SiweChallenge } from "./siwe";

// Hardhat's well-known account #0 (a public test key).
const KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

const CHALLENGE: SiweChallenge = {
  nonce: "Kd8s0fHq2LmPz4Rt",
  domain: "127.0.0.1:8000",
  uri: "http://127.0.0.1:8000",
  chain_id: 31337,
  issued_at: "2026-11-30T16:00:00.123456Z",
  expiration_time: "2026-11-30T16:05:00.123456Z",
  statement: "Sign in to OHMS",
};

// api/identity/service.py _SIWE_SHAPE: what the service accepts before it parses the message.
const SERVER_SHAPE = new RegExp(
  "^[^\\s]{1,255} wants you to sign in with your Ethereum account:\\n" +
    "0x[0-9a-fA-F]{40}\\n\\n" +
    "(?:[^\\n]{1,512}\\n)?\\n" +
    "URI: [^\\s]{1,512}\\n" +
    "Version: 1\\n" +
    "Chain ID: [0-9]{1,20}\\n" +
    "Nonce: [A-Za-z0-9]{8,64}\\n" +
    "Issued At: [^\\n]{1,40}" +
    "(?:\\nExpiration Time: [^\\n]{1,40})?" +
    "(?:\\nNot Before: [^\\n]{1,40})?" +
    "(?:\\nRequest ID: [^\\n]{0,200})?" +
    "(?:\\nResources:(?:\\n- [^\\s]{1,512}){0,16})?$",
);

describe("SIWE (EIP-4361) messages", () => {
  const account = privateKeyToAccount(KEY);

  it("has the lines the service checks, with its domain, URI, chain, nonce and times", () => {
    const message = siweMessage(CHALLENGE, account.address);
    expect(message).toMatch(SERVER_SHAPE);
    const parsed = parseSiweMessage(message);
    expect(parsed.address).toBe(account.address);
    expect(parsed.domain).toBe("127.0.0.1:8000");
    expect(parsed.uri).toBe("http://127.0.0.1:8000");
    expect(parsed.chainId).toBe(31337);
    expect(parsed.nonce).toBe("Kd8s0fHq2LmPz4Rt");
    expect(parsed.statement).toBe("Sign in to OHMS");
    expect(parsed.issuedAt?.toISOString()).toBe("2026-11-30T16:00:00.123Z");
    expect(parsed.expirationTime?.toISOString()).toBe("2026-11-30T16:05:00.123Z");
  });

  it("takes a time without an offset as UTC", () => {
    const message = siweMessage({ ...CHALLENGE, issued_at: "2026-11-30T16:00:00" }, account.address);
    expect(message).toContain("Issued At: 2026-11-30T16:00:00.000Z");
  });

  it("is signed as personal_sign text, which recovers to the wallet", async () => {
    const message = siweMessage(CHALLENGE, account.address);
    const signature = await account.signMessage({ message });
    const client = createPublicClient({ transport: http("http://127.0.0.1:1") });
    await expect(
      verifySiweMessage(client, { message, signature, domain: "127.0.0.1:8000", time: new Date("2026-11-30T16:01:00Z") }),
    ).resolves.toBe(true);
  });
});
