// Proving a wallet to the service with Sign-In with Ethereum: ask for a nonce, have the wallet
// of this tab (src/lib/wallet.ts) sign the EIP-4361 message, and send message and signature
// either to sign in (POST /api/v1/auth/siwe/verify) or to link the wallet to the signed-in
// account (POST /api/v1/me/wallet). viem is loaded only when the person acts.

import { adoptTokens, api } from "../api/client";
import { t } from "../i18n";
import { problemDetail } from "./format";
import { outcome } from "./outcome";
import { currentWallet, signMessage, WalletError } from "./wallet";

export type SiweResult = { ok: true; address: string } | { ok: false; message: string; status: number };

type Proof = { message: string; signature: `0x${string}` };

async function proveWallet(): Promise<Proof | { ok: false; message: string; status: number }> {
  const wallet = currentWallet();
  if (!wallet) return { ok: false, message: t("wallet.error.locked"), status: 0 };
  const challenge = await outcome(api.POST("/api/v1/auth/siwe/nonce"));
  if (!challenge.ok) return { ok: false, message: problemDetail(challenge.problem, challenge.status), status: challenge.status };
  const { siweMessage } = await import("./siwe");
  const message = siweMessage(challenge.value, wallet.address);
  try {
    return { message, signature: await signMessage(message) };
  } catch (error) {
    const words = error instanceof WalletError ? error.message : t("wallet.error.notSigned");
    return { ok: false, message: words, status: 0 };
  }
}

/** Sign in with the wallet of this tab: the account it is linked to is signed in. */
export async function signInWithWallet(): Promise<SiweResult> {
  const proof = await proveWallet();
  if ("ok" in proof) return proof;
  const verified = await outcome(api.POST("/api/v1/auth/siwe/verify", { body: proof }));
  if (!verified.ok) {
    const words =
      verified.status === 401 ? siweRefusal(verified.problem) : problemDetail(verified.problem, verified.status);
    return { ok: false, message: words, status: verified.status };
  }
  adoptTokens(verified.value);
  return { ok: true, address: currentWallet()?.address ?? "" };
}

/** Link the wallet of this tab to the signed-in account (then it can sign in with it). */
export async function linkWallet(): Promise<SiweResult> {
  const proof = await proveWallet();
  if ("ok" in proof) return proof;
  const linked = await outcome(api.POST("/api/v1/me/wallet", { body: proof }));
  if (!linked.ok) {
    const words = linked.status === 409 ? t("wallet.link.taken") : problemDetail(linked.problem, linked.status);
    return { ok: false, message: words, status: linked.status };
  }
  return { ok: true, address: linked.value.address };
}

/** The service's refusal of a wallet sign-in, in the person's words. */
function siweRefusal(problem: unknown): string {
  const detail = typeof problem === "object" && problem !== null ? (problem as { detail?: unknown }).detail : undefined;
  if (typeof detail === "string" && /no account is linked/i.test(detail)) return t("auth.siwe.notLinked");
  return problemDetail(problem, 401);
}
