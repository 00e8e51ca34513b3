// The patient key derivation, exactly as reencryption/derivation.py does it (every constant
// here is frozen: changing one changes every patient's keys and loses their records).
//
//   signature = the wallet's EIP-712 signature over keyDerivationTypedData(account)
//   seed      = HKDF-SHA256(ikm = r || s (the first 64 bytes), salt, info, 32 bytes)
//   factory   = Umbral SecretKeyFactory.fromSecureRandomness(seed)      (src/lib/umbral.ts)
//   keys      = factory.makeKey("ohms/encrypting"), factory.makeKey("ohms/signing")
//
// No wallet library and no wasm here: this module only needs WebCrypto.

export type Hex = `0x${string}`;

export const KEY_DERIVATION_DOMAIN = { name: "OHMS", version: "1" } as const;
export const KEY_DERIVATION_PRIMARY_TYPE = "DeriveEncryptionKey";
export const KEY_DERIVATION_TYPES = {
  EIP712Domain: [
    { name: "name", type: "string" },
    { name: "version", type: "string" },
  ],
  DeriveEncryptionKey: [
    { name: "purpose", type: "string" },
    { name: "account", type: "address" },
    { name: "keyVersion", type: "uint256" },
  ],
} as const;
export const KEY_DERIVATION_PURPOSE =
  "Derive my OHMS encryption key. Sign this only in the OHMS portal or client: " +
  "this signature opens your health records.";
export const KEY_DERIVATION_VERSION = 1n;

export const DERIVATION_SALT = "OHMS patient key derivation v1";
export const DERIVATION_INFO = "umbral-pre SecretKeyFactory seed";
export const ENCRYPTING_KEY_LABEL = "ohms/encrypting";
export const SIGNING_KEY_LABEL = "ohms/signing";
/** Umbral's SecretKeyFactory.seedSize(). */
export const SEED_BYTES = 32;

/** The EIP-712 typed data the wallet of `account` signs (viem's signTypedData arguments). */
export function keyDerivationTypedData(account: Hex) {
  return {
    domain: KEY_DERIVATION_DOMAIN,
    types: KEY_DERIVATION_TYPES,
    primaryType: KEY_DERIVATION_PRIMARY_TYPE,
    message: { purpose: KEY_DERIVATION_PURPOSE, account, keyVersion: KEY_DERIVATION_VERSION },
  } as const;
}

export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text);
}

export function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const clean = hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex;
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) throw new Error("not hex");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** The 32-byte SecretKeyFactory seed from a 65-byte wallet signature (v is left out). */
export async function seedFromSignature(signature: Hex | Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const raw = typeof signature === "string" ? hexToBytes(signature) : new Uint8Array(signature);
  if (raw.length !== 65) throw new Error(`an Ethereum signature is 65 bytes, got ${raw.length}`);
  const ikm = await crypto.subtle.importKey("raw", raw.slice(0, 64), "HKDF", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: utf8(DERIVATION_SALT), info: utf8(DERIVATION_INFO) },
    ikm,
    SEED_BYTES * 8,
  );
  return new Uint8Array(bits);
}
