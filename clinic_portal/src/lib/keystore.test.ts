import { encryptKeystoreJson } from "ethers";
import { describe, expect, it } from "vitest";
import { decryptKeystore, encryptKeystore, newKeystore, NotAKeystore, WrongPassword } from "./keystore";

const KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

describe("keystore v3 wallet files", () => {
  it("unlocks with the right password, and says which failure is which", async () => {
    // A cheap scrypt cost for the test; real wallet files use 2^18.
    const json = await encryptKeystoreJson({ address: ADDRESS, privateKey: KEY }, "correct horse", {
      scrypt: { N: 1024 },
    });
    await expect(decryptKeystore(json, "correct horse")).resolves.toEqual({ address: ADDRESS, privateKey: KEY });
    await expect(decryptKeystore(json, "wrong")).rejects.toBeInstanceOf(WrongPassword);
    await expect(decryptKeystore('{"hello":1}', "x")).rejects.toBeInstanceOf(NotAKeystore);
    await expect(decryptKeystore("not json", "x")).rejects.toBeInstanceOf(NotAKeystore);
  });

  it("writes a Web3 Secret Storage v3 file that opens again with its password", async () => {
    const json = await encryptKeystore(KEY, "battery staple", 1024);
    type Sealed = { kdf: string; cipher: string };
    const file = JSON.parse(json) as { version: number; address: string; crypto?: Sealed; Crypto?: Sealed };
    expect(file.version).toBe(3);
    expect(file.address).toBe(ADDRESS.slice(2).toLowerCase());
    // ethers writes "Crypto", as geth once did; MetaMask and eth-account read either spelling.
    const sealed = file.crypto ?? file.Crypto;
    expect(sealed?.kdf).toBe("scrypt");
    expect(sealed?.cipher).toBe("aes-128-ctr");
    await expect(decryptKeystore(json, "battery staple")).resolves.toEqual({ address: ADDRESS, privateKey: KEY });
  });

  it("makes a new key for each new wallet", async () => {
    const a = await newKeystore("pw one", 1024);
    const b = await newKeystore("pw one", 1024);
    expect(a.address).not.toBe(b.address);
    await expect(decryptKeystore(a.keystore, "pw one")).resolves.toEqual({ address: a.address, privateKey: a.privateKey });
  });
});
