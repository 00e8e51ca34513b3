// Signing with viem: the key derivation message, consent typed data and SIWE messages, with a
// key held in this page or a browser wallet (EIP-1193, window.ethereum). Loaded on demand by
// src/lib/wallet.ts.

import {
  createWalletClient,
  custom,
  getAddress,
  type EIP1193Provider,
  type TypedDataDefinition,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { keyDerivationTypedData, type Hex } from "./derivation";

/** The key derivation signature of a private key held in this page. */
export function signWithPrivateKey(privateKey: Hex): Promise<Hex> {
  const account = privateKeyToAccount(privateKey);
  return account.signTypedData(keyDerivationTypedData(account.address));
}

export type BrowserWallet = { client: WalletClient; address: Hex };

/** Ask the browser wallet for its account (eth_requestAccounts). */
export async function connectBrowserWallet(provider: EIP1193Provider): Promise<BrowserWallet> {
  const client = createWalletClient({ transport: custom(provider) });
  const [first] = await client.requestAddresses();
  if (!first) throw new Error("the wallet gave no account");
  return { client, address: getAddress(first) };
}

/** The key derivation signature from the browser wallet (eth_signTypedData_v4). */
export function signWithBrowserWallet(wallet: BrowserWallet): Promise<Hex> {
  return wallet.client.signTypedData({ account: wallet.address, ...keyDerivationTypedData(wallet.address) });
}

/** EIP-712 typed data as viem signs it (uint values as bigint, EIP712Domain kept in `types`). */
export type SignableTypedData = {
  domain: Record<string, unknown>;
  types: Record<string, readonly { name: string; type: string }[]>;
  primaryType: string;
  message: Record<string, unknown>;
};

/** Sign server-made typed data (src/lib/consentFlow.ts prepares it) with a key held in this page. */
export function signTypedDataWithPrivateKey(privateKey: Hex, typed: SignableTypedData): Promise<Hex> {
  const account = privateKeyToAccount(privateKey);
  return account.signTypedData(typed as unknown as TypedDataDefinition);
}

/** Sign server-made typed data with the browser wallet (eth_signTypedData_v4). */
export function signTypedDataWithBrowserWallet(wallet: BrowserWallet, typed: SignableTypedData): Promise<Hex> {
  return wallet.client.signTypedData({ account: wallet.address, ...(typed as unknown as TypedDataDefinition) });
}

/** An EIP-191 personal_sign signature (a SIWE message) with a key held in this page. */
export function signMessageWithPrivateKey(privateKey: Hex, message: string): Promise<Hex> {
  return privateKeyToAccount(privateKey).signMessage({ message });
}

/** An EIP-191 personal_sign signature (a SIWE message) from the browser wallet. */
export function signMessageWithBrowserWallet(wallet: BrowserWallet, message: string): Promise<Hex> {
  return wallet.client.signMessage({ account: wallet.address, message });
}
