import { KeyFrag, PublicKey, SecretKey } from "@nucypher/umbral-pre";
import { hashTypedData, type TypedDataDefinition } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { hexToBytes, keyDerivationTypedData, type Hex } from "./derivation";
import {
  dayInWords,
  defaultUntil,
  organisationKindInWords,
  purposePhrase,
  recordScope,
  scopePhrase,
  SHARE_CATEGORIES,
  SHARE_PURPOSES,
  shareCategoryLabel,
  sharePurposeLabel,
  shareProblem,
  shareSummary,
  signableTypedData,
  typedDataProblem,
  type ServerTypedData,
} from "./sharing";
import { signTypedDataWithPrivateKey } from "./signers";
import { base64ToBytes, KFRAG_SHARES, patientKeysFromSignature, type PatientKeys } from "./umbral";

// Hardhat's well-known accounts #0 and #1 (public test keys: never use them for anything real).
const HARDHAT_KEY_0: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const HARDHAT_KEY_1: Hex = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

async function keysOf(privateKey: Hex): Promise<PatientKeys> {
  const account = privateKeyToAccount(privateKey);
  return patientKeysFromSignature(await account.signTypedData(keyDerivationTypedData(account.address)));
}

function pk(hex: string): PublicKey {
  return PublicKey.fromCompressedBytes(hexToBytes(hex));
}

function publicHexOf(sk: SecretKey): string {
  const p = sk.publicKey();
  try {
    return Array.from(p.toCompressedBytes(), (b) => b.toString(16).padStart(2, "0")).join("");
  } finally {
    p.free();
  }
}

describe("key fragments made by src/lib/umbral.ts (as reencryption/exchange.py)", () => {
  it("verify against the patient's verifying and delegating keys and the grantee's key", async () => {
    const patient = await keysOf(HARDHAT_KEY_0);
    const grantee = SecretKey.random();
    const granteeHex = publicHexOf(grantee);
    try {
      const kfrags = patient.grantKFrags(granteeHex);
      expect(kfrags).toHaveLength(KFRAG_SHARES);
      for (const encoded of kfrags) {
        expect(encoded).toMatch(/^[A-Za-z0-9+/]+=*$/);
        const kfrag = KeyFrag.fromBytes(base64ToBytes(encoded));
        const [verifying, delegating, receiving] = [pk(patient.verifyingKey), pk(patient.encryptingPublicKey), pk(granteeHex)];
        const verified = kfrag.verify(verifying, delegating, receiving);
        expect(verified.toBytes()).toEqual(base64ToBytes(encoded));
        // verify() consumes the KeyFrag; the rest is freed here.
        for (const k of [verified, verifying, delegating, receiving]) k.free();
      }
    } finally {
      patient.free();
      grantee.free();
    }
  });

  it("do not verify for another grantee, another delegating key or another signer", async () => {
    const patient = await keysOf(HARDHAT_KEY_0);
    const other = await keysOf(HARDHAT_KEY_1);
    const grantee = SecretKey.random();
    const stranger = SecretKey.random();
    try {
      const [encoded] = patient.grantKFrags(publicHexOf(grantee));
      if (!encoded) throw new Error("no kfrag");
      const attempt = (verifying: string, delegating: string, receiving: string) => () => {
        const keys = [pk(verifying), pk(delegating), pk(receiving)] as const;
        try {
          // verify() consumes the KeyFrag, verified or not.
          KeyFrag.fromBytes(base64ToBytes(encoded)).verify(...keys).free();
        } finally {
          for (const k of keys) k.free();
        }
      };
      expect(attempt(patient.verifyingKey, patient.encryptingPublicKey, publicHexOf(stranger))).toThrow();
      expect(attempt(patient.verifyingKey, other.encryptingPublicKey, publicHexOf(grantee))).toThrow();
      expect(attempt(other.verifyingKey, patient.encryptingPublicKey, publicHexOf(grantee))).toThrow();
      expect(attempt(patient.verifyingKey, patient.encryptingPublicKey, publicHexOf(grantee))).not.toThrow();
    } finally {
      patient.free();
      other.free();
      grantee.free();
      stranger.free();
    }
  });

  it("are refused once the keys are freed, and for a malformed grantee key", async () => {
    const patient = await keysOf(HARDHAT_KEY_0);
    expect(() => patient.grantKFrags("02abcd")).toThrow();
    patient.free();
    const grantee = SecretKey.random();
    expect(() => patient.grantKFrags(publicHexOf(grantee))).toThrow(/locked/);
    grantee.free();
  });
});

// A grant as the server makes it (chain.consent.grant_typed_data), with the digest and the
// signature of Hardhat key #0 that eth-account computes for it (run once in the project's Python).
const SERVER_GRANT: ServerTypedData = JSON.parse(
  '{"types": {"EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"}, {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}], "Grant": [{"name": "patient", "type": "address"}, {"name": "grantee", "type": "address"}, {"name": "scope", "type": "string"}, {"name": "purpose", "type": "uint8"}, {"name": "dataFrom", "type": "uint64"}, {"name": "dataTo", "type": "uint64"}, {"name": "expiry", "type": "uint64"}, {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}]}, "primaryType": "Grant", "domain": {"name": "OHMS ConsentRegistry", "version": "1", "chainId": 31337, "verifyingContract": "0x5FbDB2315678afecb367f032d93F642f64180aa3"}, "message": {"patient": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "grantee": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "scope": "category:lab", "purpose": 0, "dataFrom": 0, "dataTo": 0, "expiry": 1827561599, "nonce": 3, "deadline": 1796000000}}',
) as ServerTypedData;
const PYTHON_GRANT_DIGEST = "0x4dd49289338639c8eea6d7df0d5afd02a942817d57ca73a61ca7e47b2dbf153d";
const PYTHON_GRANT_SIGNATURE =
  "0xbe2ba369a64b5cc3b1cdfc78d5bead9c901adb195d00c75c34645497213a058b483e01fb944b38b6ed2775fb2f14ebd1dbbd3839d129934d9ce3000bf14624eb1c";

describe("signing the server's typed data as is", () => {
  it("hashes and signs exactly as the server (eth-account) does", async () => {
    const signable = signableTypedData(SERVER_GRANT);
    expect(signable.message["nonce"]).toBe(3n);
    expect(signable.domain["chainId"]).toBe(31337n);
    expect(signable.types["EIP712Domain"]).toHaveLength(4);
    expect(hashTypedData(signable as unknown as TypedDataDefinition)).toBe(PYTHON_GRANT_DIGEST);
    expect(await signTypedDataWithPrivateKey(HARDHAT_KEY_0, signable)).toBe(PYTHON_GRANT_SIGNATURE);
    // The object submitted back is left as the server sent it.
    expect(SERVER_GRANT.message["nonce"]).toBe(3);
  });

  it("refuses typed data of another kind or for another patient", () => {
    const wallet0 = privateKeyToAccount(HARDHAT_KEY_0).address;
    const wallet1 = privateKeyToAccount(HARDHAT_KEY_1).address;
    expect(typedDataProblem(SERVER_GRANT, "Grant", wallet0)).toBe("");
    expect(typedDataProblem(SERVER_GRANT, "Grant", wallet0.toLowerCase())).toBe("");
    expect(typedDataProblem(SERVER_GRANT, "Revoke", wallet0)).toMatch(/other than what you asked/);
    expect(typedDataProblem(SERVER_GRANT, "Grant", wallet1)).toMatch(/not the one linked/);
  });
});

describe("what the patient signs, in words", () => {
  it("summarises a grant in one plain sentence", () => {
    expect(
      shareSummary({
        granteeName: "Precision Diagnostics Lab",
        granteeHasKey: true,
        scope: "category:lab",
        purpose: "treatment",
        until: "2027-11-30",
        from: "",
        to: "",
      }),
    ).toBe(
      "Precision Diagnostics Lab may read your lab results for treatment until the end of 30 Nov 2027. " +
        "Their key will be able to open these records. " +
        "Your wallet signs exactly this; you can revoke it at any time.",
    );
  });

  it("names the records period and a grantee without a key", () => {
    const summary = shareSummary({
      granteeName: "Riverside Family Clinic",
      granteeHasKey: false,
      scope: "category:all",
      purpose: "claim",
      until: "2026-01-05",
      from: "2024-03-01",
      to: "2024-12-31",
    });
    expect(summary).toContain(
      "Riverside Family Clinic may read all your records for an insurance claim until the end of 5 Jan 2026.",
    );
    expect(summary).toContain("Only records dated from 1 Mar 2024 to 31 Dec 2024.");
    expect(summary).toContain("will not be able to open your encrypted records");
    expect(summary).not.toContain("Their key will be able");
  });

  it("offers exactly the categories and purposes the server accepts, in words", () => {
    const serverCategories = ["encounter", "condition", "allergy", "medication", "lab", "imaging", "immunization", "procedure", "vital_signs", "document", "all"];
    expect(SHARE_CATEGORIES.map((c) => c.scope.replace("category:", "")).sort()).toEqual([...serverCategories].sort());
    expect(SHARE_CATEGORIES.map((c) => shareCategoryLabel(c.name))).toEqual(
      expect.arrayContaining(["All records", "Lab results", "Imaging", "Allergies", "Conditions", "Notes and documents"]),
    );
    expect(SHARE_CATEGORIES[0].scope).toBe("category:all");
    expect(SHARE_PURPOSES.map((p) => [p.purpose, sharePurposeLabel(p.purpose)])).toEqual([
      ["treatment", "Treatment"],
      ["claim", "Insurance claim"],
      ["research", "Research"],
    ]);
    expect(scopePhrase("category:imaging")).toBe("your imaging");
    expect(scopePhrase("record:abc")).toBe("one of your records");
    expect(purposePhrase("research")).toBe("for research");
    expect(organisationKindInWords("lab")).toBe("Laboratory");
    expect(organisationKindInWords("drug_vendor")).toBe("Drug vendor");
  });

  it("names one record and its later versions, and a person by UHID", () => {
    const scope = recordScope({ lineage_id: "5f0c1b2a-0000-4000-8000-000000000001" });
    expect(scope).toBe("record:5f0c1b2a-0000-4000-8000-000000000001");
    const summary = shareSummary({
      granteeName: "12345678901234",
      granteeKind: "person",
      granteeHasKey: false,
      scope,
      recordName: "Lab result of 3 Mar 2025",
      purpose: "treatment",
      until: "2027-11-30",
      from: "",
      to: "",
    });
    expect(summary).toContain(
      "The person with UHID 12-3456-7890-1234 may read one of your records (Lab result of 3 Mar 2025) " +
        "and its later versions for treatment until the end of 30 Nov 2027.",
    );
    expect(summary).toContain("cannot open your encrypted records");
    const base = { grantee: "org", purpose: "treatment", until: "2099-01-01", from: "", to: "" };
    expect(shareProblem({ ...base, scope: "record:" })).toMatch(/Choose the record/);
    expect(shareProblem({ ...base, scope })).toBe("");
  });

  it("checks the dates before anything is signed", () => {
    const now = new Date(2026, 5, 15, 12, 0, 0);
    const base = { grantee: "org", scope: "category:lab", purpose: "treatment", until: "2027-06-15", from: "", to: "" };
    expect(defaultUntil(now)).toBe("2027-06-15");
    expect(shareProblem(base, now)).toBe("");
    expect(shareProblem({ ...base, grantee: "" }, now)).toMatch(/Choose who/);
    expect(shareProblem({ ...base, until: "2026-06-14" }, now)).toMatch(/future/);
    expect(shareProblem({ ...base, from: "2025-02-01", to: "2025-01-01" }, now)).toMatch(/starts after it ends/);
    expect(dayInWords("2027-02-30")).toBeNull();
    expect(dayInWords("2027-11-30")).toBe("30 Nov 2027");
  });
});
