// Keystore v3 (Web3 Secret Storage) files, with ethers. Loaded on demand by src/lib/wallet.ts.

import { decryptKeystoreJson, encryptKeystoreJson, isKeystoreJson } from "ethers";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { Hex } from "./derivation";

export type UnlockedKeystore = { address: Hex; privateKey: Hex };

export class NotAKeystore extends Error {}
export class WrongPassword extends Error {}

/** The address and private key in a keystore JSON; the password is checked by the file's MAC. */
export async function decryptKeystore(json: string, password: string): Promise<UnlockedKeystore> {
  if (!isKeystoreJson(json)) throw new NotAKeystore("not a keystore v3 JSON");
  try {
    const account = await decryptKeystoreJson(json, password).catch((error: unknown) => {
      // scrypt's 64 MiB buffer may not be reclaimed yet from the previous attempt (a wrong
      // password just before): the allocation fails with a RangeError; once more, later.
      if (!(error instanceof RangeError)) throw error;
      return new Promise((resolve) => setTimeout(resolve, 250)).then(() => decryptKeystoreJson(json, password));
    });
    return { address: account.address as Hex, privateKey: account.privateKey as Hex };
  } catch (error) {
    const message = error instanceof Error ? error.message : "";
    if (/password/i.test(message)) throw new WrongPassword("incorrect password");
    throw new NotAKeystore(message || "the keystore could not be read");
  }
}

/**
 * A keystore v3 JSON of `privateKey` sealed with `password` (scrypt, AES-128-CTR): the file
 * MetaMask, geth and eth-account import. `scryptN` is lowered only by tests; ethers' default
 * (2^17) keeps a stolen file slow to guess.
 */
export function encryptKeystore(privateKey: Hex, password: string, scryptN?: number): Promise<string> {
  const address = privateKeyToAccount(privateKey).address;
  return encryptKeystoreJson({ address, privateKey }, password, scryptN ? { scrypt: { N: scryptN } } : undefined);
}

/** A new wallet: a fresh secp256k1 key (the browser's CSPRNG) and its keystore file. */
export async function newKeystore(
  password: string,
  scryptN?: number,
): Promise<UnlockedKeystore & { keystore: string }> {
  const privateKey = generatePrivateKey();
  const address = privateKeyToAccount(privateKey).address;
  return { address, privateKey, keystore: await encryptKeystore(privateKey, password, scryptN) };
}
