import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { keyDerivationTypedData, seedFromSignature, type Hex } from "./derivation";
import { encryptFor, patientKeysFromSignature } from "./umbral";

// Hardhat's well-known account #0 (a public test key: never use it for anything real).
const HARDHAT_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const HARDHAT_ADDRESS_0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

// What the project's Python derives for that key (reencryption.derivation, run once):
//   sig = sign_key_derivation(HARDHAT_KEY_0); keys = derive_patient_keys(sig, address)
const PYTHON_SIGNATURE: Hex =
  "0x5008c5032fb702f29f4572e2c9420434a3b7db4ef5dd0f6bf46120d588f718ec662e95626d7a719c169a4439e013539f75a533cfd123ecf8438de6f5e48718881b";
const PYTHON_UMBRAL_PUBLIC_KEY = "02bb9d58f7eeabea30a77756029ace6532e33842600fea73d1663a5cde53b3a225";
const PYTHON_VERIFYING_KEY = "0200cf56be69a74f740a1ec9f86cb41c66983dd6b75883e8e14da83f683804c42f";

describe("patient key derivation (as reencryption/derivation.py)", () => {
  it("signs the fixed EIP-712 message exactly as the Python client does", async () => {
    const account = privateKeyToAccount(HARDHAT_KEY_0);
    expect(account.address).toBe(HARDHAT_ADDRESS_0);
    const signature = await account.signTypedData(keyDerivationTypedData(account.address));
    expect(signature).toBe(PYTHON_SIGNATURE);
  });

  it("derives the same Umbral public keys from that signature", async () => {
    const keys = await patientKeysFromSignature(PYTHON_SIGNATURE);
    try {
      expect(keys.encryptingPublicKey).toBe(PYTHON_UMBRAL_PUBLIC_KEY);
      expect(keys.verifyingKey).toBe(PYTHON_VERIFYING_KEY);
    } finally {
      keys.free();
    }
  });

  it("ignores v (27/28 or 0/1) and refuses anything but 65 bytes", async () => {
    const withV0: Hex = `0x${PYTHON_SIGNATURE.slice(2, -2)}00`;
    expect(await seedFromSignature(withV0)).toEqual(await seedFromSignature(PYTHON_SIGNATURE));
    await expect(seedFromSignature("0x1234")).rejects.toThrow(/65 bytes/);
  });
});

describe("Umbral round trip through src/lib/umbral.ts", () => {
  it("decrypts with the derived secret key what was encrypted to its public key", async () => {
    const keys = await patientKeysFromSignature(PYTHON_SIGNATURE);
    try {
      const resource = { resourceType: "Observation", valueQuantity: { value: 6.4, unit: "%" } };
      const sealed = encryptFor(keys.encryptingPublicKey, new TextEncoder().encode(JSON.stringify(resource)));
      const plaintext = keys.decrypt(sealed.capsule, sealed.ciphertext);
      expect(JSON.parse(new TextDecoder().decode(plaintext))).toEqual(resource);
    } finally {
      keys.free();
    }
  });

  it("does not decrypt with another wallet's keys, nor after free()", async () => {
    const other = privateKeyToAccount("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
    const otherKeys = await patientKeysFromSignature(
      await other.signTypedData(keyDerivationTypedData(other.address)),
    );
    const keys = await patientKeysFromSignature(PYTHON_SIGNATURE);
    const sealed = encryptFor(keys.encryptingPublicKey, new TextEncoder().encode("secret"));
    try {
      expect(otherKeys.encryptingPublicKey).not.toBe(keys.encryptingPublicKey);
      expect(() => otherKeys.decrypt(sealed.capsule, sealed.ciphertext)).toThrow();
    } finally {
      otherKeys.free();
      keys.free();
    }
    expect(() => keys.decrypt(sealed.capsule, sealed.ciphertext)).toThrow(/locked/);
  });
});
