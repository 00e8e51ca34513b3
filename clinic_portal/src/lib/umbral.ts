// Every use of @nucypher/umbral-pre (wasm). Load this module only with `await import()` when
// the user acts: the first page load must fetch no wasm. Secret keys never leave it except
// as opaque wasm objects held in memory; they are never serialised or sent anywhere.

import {
  Capsule,
  PublicKey,
  SecretKey,
  SecretKeyFactory,
  Signer,
  decryptOriginal,
  encrypt,
  generateKFrags,
} from "@nucypher/umbral-pre";
import {
  ENCRYPTING_KEY_LABEL,
  SIGNING_KEY_LABEL,
  bytesToHex,
  hexToBytes,
  seedFromSignature,
  utf8,
  type Hex,
} from "./derivation";

/** A patient's derived keys. Call `free()` when done (Lock, sign-out): it drops the secret. */
export type PatientKeys = {
  /** The encrypting public key, compressed (33 bytes), lower-case hex without 0x: as the API's `umbral_public_key`. */
  readonly encryptingPublicKey: string;
  /** The signing key's public half (the API's `verifying_key`). */
  readonly verifyingKey: string;
  /** The plaintext of a record sealed to `encryptingPublicKey` (base64 capsule and ciphertext). */
  decrypt(capsuleBase64: string, ciphertextBase64: string): Uint8Array;
  /**
   * Key fragments (base64 of their bytes, as the API's `kfrags`) that let the service
   * re-encrypt this patient's records for the holder of `receivingPublicKeyHex`, signed by the
   * "ohms/signing" key (verifiable with `verifyingKey`), as reencryption/exchange.py makes them.
   */
  grantKFrags(receivingPublicKeyHex: string): string[];
  free(): void;
};

/** As reencryption/exchange.py generate_kfrags: one fragment, threshold one. */
export const KFRAG_THRESHOLD = 1;
export const KFRAG_SHARES = 1;
/** Both keys signed into each fragment, so it cannot be used for another patient key or grantee. */
export const SIGN_DELEGATING_KEY = true;
export const SIGN_RECEIVING_KEY = true;

export function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function publicHex(sk: SecretKey): string {
  const pk = sk.publicKey();
  try {
    return bytesToHex(pk.toCompressedBytes());
  } finally {
    pk.free();
  }
}

/** The patient's Umbral keys from their wallet's signature over the key derivation message. */
export async function patientKeysFromSignature(signature: Hex | Uint8Array): Promise<PatientKeys> {
  const seed = await seedFromSignature(signature);
  const factory = SecretKeyFactory.fromSecureRandomness(seed);
  seed.fill(0);
  let encrypting: SecretKey | null = null;
  let signing: SecretKey | null = null;
  try {
    encrypting = factory.makeKey(utf8(ENCRYPTING_KEY_LABEL));
    signing = factory.makeKey(utf8(SIGNING_KEY_LABEL));
    const verifyingKey = publicHex(signing);
    const encryptingPublicKey = publicHex(encrypting);
    let secret: SecretKey | null = encrypting;
    let signingSecret: SecretKey | null = signing;
    return {
      encryptingPublicKey,
      verifyingKey,
      decrypt(capsuleBase64, ciphertextBase64) {
        if (!secret) throw new Error("the keys have been locked");
        const capsule = Capsule.fromBytes(base64ToBytes(capsuleBase64));
        try {
          return decryptOriginal(secret, capsule, base64ToBytes(ciphertextBase64));
        } finally {
          capsule.free();
        }
      },
      grantKFrags(receivingPublicKeyHex) {
        if (!secret || !signingSecret) throw new Error("the keys have been locked");
        return makeKFrags(secret, signingSecret, receivingPublicKeyHex);
      },
      free() {
        secret?.free();
        secret = null;
        signingSecret?.free();
        signingSecret = null;
      },
    };
  } catch (error) {
    encrypting?.free();
    signing?.free();
    throw error;
  } finally {
    factory.free();
  }
}

function makeKFrags(delegating: SecretKey, signing: SecretKey, receivingPublicKeyHex: string): string[] {
  const receiving = PublicKey.fromCompressedBytes(hexToBytes(receivingPublicKeyHex.trim()));
  // Signer copies the key it is given; freeing it leaves `signing` usable.
  const signer = new Signer(signing);
  try {
    const kfrags = generateKFrags(
      delegating,
      receiving,
      signer,
      KFRAG_THRESHOLD,
      KFRAG_SHARES,
      SIGN_DELEGATING_KEY,
      SIGN_RECEIVING_KEY,
    );
    try {
      return kfrags.map((k) => bytesToBase64(k.toBytes()));
    } finally {
      for (const k of kfrags) k.free();
    }
  } finally {
    signer.free();
    receiving.free();
  }
}

/** Seal `plaintext` to a public key (hex, compressed): base64 capsule and ciphertext, as the API stores them. */
export function encryptFor(publicKeyHex: string, plaintext: Uint8Array): { capsule: string; ciphertext: string } {
  const pk = PublicKey.fromCompressedBytes(hexToBytes(publicKeyHex));
  try {
    const [capsule, ciphertext] = encrypt(pk, plaintext);
    try {
      return { capsule: bytesToBase64(capsule.toBytes()), ciphertext: bytesToBase64(ciphertext) };
    } finally {
      capsule.free();
    }
  } finally {
    pk.free();
  }
}
