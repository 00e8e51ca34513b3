// The wallet of this tab: a private key decrypted from a keystore file (or just made), or a
// browser wallet. The private key lives in this module's memory only (never localStorage,
// sessionStorage, IndexedDB or the network: IndexedDB keeps only the encrypted keystore) and
// is forgotten by `lockWallet()`. ethers and viem are loaded on demand, when the person acts.

import type { EIP1193Provider } from "viem";
import { t } from "../i18n";
import type { Hex } from "./derivation";
import type { BrowserWallet, SignableTypedData } from "./signers";

type Held = { kind: "keystore"; address: Hex; privateKey: Hex } | { kind: "browser"; wallet: BrowserWallet };

let held: Held | null = null;

export type WalletKind = Held["kind"];
export type UnlockedWallet = { kind: WalletKind; address: Hex };

export class WalletError extends Error {}

/** A new wallet's password: long enough that its keystore file is not guessed offline. */
export const MIN_WALLET_PASSWORD = 10;

function unlocked(h: Held): UnlockedWallet {
  return { kind: h.kind, address: h.kind === "keystore" ? h.address : h.wallet.address };
}

/** window.ethereum, when a browser wallet is installed. */
export function browserWalletProvider(): EIP1193Provider | null {
  if (typeof window === "undefined") return null;
  const provider = (window as Window & { ethereum?: EIP1193Provider }).ethereum;
  return provider && typeof provider.request === "function" ? provider : null;
}

/** Decrypt a keystore v3 JSON with its password; the key stays in this module. */
export async function unlockKeystore(json: string, password: string): Promise<UnlockedWallet> {
  const { decryptKeystore, NotAKeystore, WrongPassword } = await import("./keystore");
  try {
    const { address, privateKey } = await decryptKeystore(json, password);
    held = { kind: "keystore", address, privateKey };
    return unlocked(held);
  } catch (error) {
    if (error instanceof WrongPassword) throw new WalletError(t("wallet.error.wrongPassword"));
    if (error instanceof NotAKeystore) throw new WalletError(t("wallet.error.notKeystore"));
    throw error;
  }
}

/**
 * A new built-in wallet: a fresh key, held unlocked in this tab, and its keystore v3 file
 * sealed with `password` (to keep in IndexedDB and to download).
 */
export async function createWallet(password: string): Promise<{ wallet: UnlockedWallet; keystore: string }> {
  if (password.length < MIN_WALLET_PASSWORD)
    throw new WalletError(t("wallet.error.shortPassword", { count: MIN_WALLET_PASSWORD }));
  const { newKeystore } = await import("./keystore");
  const made = await newKeystore(password);
  held = { kind: "keystore", address: made.address, privateKey: made.privateKey };
  return { wallet: unlocked(held), keystore: made.keystore };
}

export async function connectBrowser(): Promise<UnlockedWallet> {
  const provider = browserWalletProvider();
  if (!provider) throw new WalletError(t("wallet.error.noBrowserWallet"));
  const { connectBrowserWallet } = await import("./signers");
  try {
    held = { kind: "browser", wallet: await connectBrowserWallet(provider) };
  } catch (error) {
    throw new WalletError(walletRefusal(error, t("wallet.error.notConnected")));
  }
  return unlocked(held);
}

function heldWallet(): Held {
  if (!held) throw new WalletError(t("wallet.error.locked"));
  return held;
}

/** The wallet's signature over the fixed key derivation message. */
export async function signKeyDerivation(): Promise<Hex> {
  const h = heldWallet();
  const { signWithBrowserWallet, signWithPrivateKey } = await import("./signers");
  if (h.kind === "keystore") return signWithPrivateKey(h.privateKey);
  try {
    return await signWithBrowserWallet(h.wallet);
  } catch (error) {
    throw new WalletError(walletRefusal(error, t("wallet.error.notSigned")));
  }
}

/** The wallet's EIP-712 signature over typed data (a consent grant or revocation), as given. */
export async function signTypedData(typed: SignableTypedData): Promise<Hex> {
  const h = heldWallet();
  const { signTypedDataWithBrowserWallet, signTypedDataWithPrivateKey } = await import("./signers");
  if (h.kind === "keystore") return signTypedDataWithPrivateKey(h.privateKey, typed);
  try {
    return await signTypedDataWithBrowserWallet(h.wallet, typed);
  } catch (error) {
    throw new WalletError(walletRefusal(error, t("wallet.error.notSigned")));
  }
}

/** The wallet's personal_sign (EIP-191) signature over a text message (a SIWE message). */
export async function signMessage(message: string): Promise<Hex> {
  const h = heldWallet();
  const { signMessageWithBrowserWallet, signMessageWithPrivateKey } = await import("./signers");
  if (h.kind === "keystore") return signMessageWithPrivateKey(h.privateKey, message);
  try {
    return await signMessageWithBrowserWallet(h.wallet, message);
  } catch (error) {
    throw new WalletError(walletRefusal(error, t("wallet.error.notSigned")));
  }
}

export function currentWallet(): UnlockedWallet | null {
  return held ? unlocked(held) : null;
}

/** Forget the key (or the browser wallet connection). */
export function lockWallet(): void {
  held = null;
}

function walletRefusal(error: unknown, fallback: string): string {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  if (code === 4001) return t("wallet.error.declined");
  const name = error instanceof Error ? error.name : "";
  if (name === "UserRejectedRequestError") return t("wallet.error.declined");
  return fallback;
}

/**
 * The public halves of the Umbral keys this wallet derives (the body of PUT /api/v1/me/keys):
 * the wallet signs the key derivation message and src/lib/umbral.ts derives the keys, as
 * reencryption/derivation.py does; the secret halves are freed at once.
 */
export async function derivePublicKeys(): Promise<{ umbral_public_key: string; verifying_key: string }> {
  const signature = await signKeyDerivation();
  const { patientKeysFromSignature } = await import("./umbral");
  const keys = await patientKeysFromSignature(signature);
  try {
    return { umbral_public_key: keys.encryptingPublicKey, verifying_key: keys.verifyingKey };
  } finally {
    keys.free();
  }
}
