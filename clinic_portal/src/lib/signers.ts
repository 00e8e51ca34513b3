// Signing the key derivation message with viem: a key held in this page, or a browser
// wallet (EIP-1193, window.ethereum). Loaded on demand by src/lib/wallet.ts.

import { createWalletClient, custom, getAddress, type EIP1193Provider, type WalletClient } from "viem";
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
