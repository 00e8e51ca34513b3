import { encryptKeystoreJson } from "ethers";
import { describe, expect, it } from "vitest";
import { decryptKeystore, NotAKeystore, WrongPassword } from "./keystore";

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
});
