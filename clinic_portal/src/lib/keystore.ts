// Keystore v3 (Web3 Secret Storage) files, with ethers. Loaded on demand by src/lib/wallet.ts.

import { decryptKeystoreJson, isKeystoreJson } from "ethers";
import type { Hex } from "./derivation";

export type UnlockedKeystore = { address: Hex; privateKey: Hex };

export class NotAKeystore extends Error {}
export class WrongPassword extends Error {}

/** The address and private key in a keystore JSON; the password is checked by the file's MAC. */
export async function decryptKeystore(json: string, password: string): Promise<UnlockedKeystore> {
  if (!isKeystoreJson(json)) throw new NotAKeystore("not a keystore v3 JSON");
  try {
    const account = await decryptKeystoreJson(json, password);
    return { address: account.address as Hex, privateKey: account.privateKey as Hex };
  } catch (error) {
    const message = error instanceof Error ? error.message : "";
    if (/password/i.test(message)) throw new WrongPassword("incorrect password");
    throw new NotAKeystore(message || "the keystore could not be read");
  }
}
