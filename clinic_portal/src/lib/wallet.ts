// The wallet of this tab: a private key decrypted from a keystore file, or a browser wallet.
// The private key lives in this module's memory only (never localStorage, sessionStorage,
// IndexedDB or the network) and is forgotten by `lockWallet()`. ethers and viem are loaded
// on demand, when the patient acts.

import type { EIP1193Provider } from "viem";
import type { Hex } from "./derivation";
import type { BrowserWallet, SignableTypedData } from "./signers";

type Held = { kind: "keystore"; address: Hex; privateKey: Hex } | { kind: "browser"; wallet: BrowserWallet };

let held: Held | null = null;

export type WalletKind = Held["kind"];
export type UnlockedWallet = { kind: WalletKind; address: Hex };

export class WalletError extends Error {}

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
    if (error instanceof WrongPassword) throw new WalletError("That password does not open this wallet file.");
    if (error instanceof NotAKeystore)
      throw new WalletError("This is not a wallet file. Choose an Ethereum keystore (JSON) file.");
    throw error;
  }
}

export async function connectBrowser(): Promise<UnlockedWallet> {
  const provider = browserWalletProvider();
  if (!provider) throw new WalletError("No browser wallet was found.");
  const { connectBrowserWallet } = await import("./signers");
  try {
    held = { kind: "browser", wallet: await connectBrowserWallet(provider) };
  } catch (error) {
    throw new WalletError(walletRefusal(error, "The browser wallet did not connect."));
  }
  return unlocked(held);
}

/** The wallet's signature over the fixed key derivation message. */
export async function signKeyDerivation(): Promise<Hex> {
  const h = held;
  if (!h) throw new WalletError("Unlock a wallet first.");
  const { signWithBrowserWallet, signWithPrivateKey } = await import("./signers");
  if (h.kind === "keystore") return signWithPrivateKey(h.privateKey);
  try {
    return await signWithBrowserWallet(h.wallet);
  } catch (error) {
    throw new WalletError(walletRefusal(error, "The browser wallet did not sign."));
  }
}

/** The wallet's EIP-712 signature over typed data (a consent grant or revocation), as given. */
export async function signTypedData(typed: SignableTypedData): Promise<Hex> {
  const h = held;
  if (!h) throw new WalletError("Unlock a wallet first.");
  const { signTypedDataWithBrowserWallet, signTypedDataWithPrivateKey } = await import("./signers");
  if (h.kind === "keystore") return signTypedDataWithPrivateKey(h.privateKey, typed);
  try {
    return await signTypedDataWithBrowserWallet(h.wallet, typed);
  } catch (error) {
    throw new WalletError(walletRefusal(error, "The browser wallet did not sign."));
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
  if (code === 4001) return "The request was declined in the wallet.";
  const name = error instanceof Error ? error.name : "";
  if (name === "UserRejectedRequestError") return "The request was declined in the wallet.";
  return fallback;
}
