// Granting and revoking access with the patient's wallet: the server makes the EIP-712 typed
// data, the wallet signs it here as is, and for a grantee with a published encryption key the
// key fragments are made in this browser from the patient's derived keys (secret keys never
// leave this page). Umbral and viem are loaded on demand (src/lib/wallet.ts, ./umbral).

import { api, type ConsentOut, type DirectoryEntry } from "../api/client";
import { problemDetail } from "./format";
import { NO_PUBLISHED_KEYS, publishedKey, WRONG_WALLET } from "./openRecords";
import { outcome } from "./outcome";
import { signableTypedData, typedDataProblem, type ServerTypedData } from "./sharing";
import type { PatientKeys } from "./umbral";
import { currentWallet, signKeyDerivation, signTypedData, WalletError } from "./wallet";

export type FlowStep = "preparing" | "signing" | "keys" | "sending";

export type FlowResult = { ok: true; consent: ConsentOut } | { ok: false; message: string };

export type GrantInput = {
  grantee: DirectoryEntry;
  scope: string;
  purpose: "treatment" | "claim" | "research";
  expiresAt: Date;
  dataFrom: Date | null;
  dataTo: Date | null;
};

class FlowError extends Error {}

function failure(error: unknown): { ok: false; message: string } {
  if (error instanceof FlowError || error instanceof WalletError) return { ok: false, message: error.message };
  return { ok: false, message: "Something went wrong while signing. Please try again." };
}

async function signServerTypedData(typed: ServerTypedData, primaryType: "Grant" | "Revoke"): Promise<`0x${string}`> {
  const wallet = currentWallet();
  if (!wallet) throw new FlowError("Unlock your wallet first.");
  const problem = typedDataProblem(typed, primaryType, wallet.address);
  if (problem) throw new FlowError(problem);
  return signTypedData(signableTypedData(typed));
}

/**
 * Key fragments for `granteeKey` from the patient's keys: those already derived (records
 * opened), else derived now from a new key derivation signature and freed afterwards.
 */
async function kfragsFor(
  granteeKey: string,
  existingKeys: () => PatientKeys | null,
): Promise<{ kfrags: string[]; verifyingKey: string }> {
  const existing = existingKeys();
  if (existing) return { kfrags: existing.grantKFrags(granteeKey), verifyingKey: existing.verifyingKey };
  const published = await publishedKey();
  if (published.key === null) {
    throw new FlowError(
      published.message === NO_PUBLISHED_KEYS
        ? "Your encryption keys have not been published yet, so key fragments for this organisation cannot be made."
        : published.message,
    );
  }
  const signature = await signKeyDerivation();
  const umbral = await import("./umbral");
  const keys = await umbral.patientKeysFromSignature(signature);
  try {
    if (keys.encryptingPublicKey !== published.key) throw new FlowError(`${WRONG_WALLET}.`);
    return { kfrags: keys.grantKFrags(granteeKey), verifyingKey: keys.verifyingKey };
  } finally {
    keys.free();
  }
}

/** Grant an organisation access: typed data, wallet signature, key fragments, submission. */
export async function grantAccess(
  input: GrantInput,
  existingKeys: () => PatientKeys | null,
  onStep: (step: FlowStep) => void,
): Promise<FlowResult> {
  try {
    onStep("preparing");
    const typed = await outcome(
      api.POST("/api/v1/consents/typed-data", {
        body: {
          grantee: input.grantee.id,
          scope: input.scope,
          purpose: input.purpose,
          expires_at: input.expiresAt.toISOString(),
          data_from: input.dataFrom?.toISOString() ?? null,
          data_to: input.dataTo?.toISOString() ?? null,
        },
      }),
    );
    if (!typed.ok) return { ok: false, message: problemDetail(typed.problem, typed.status) };
    const expectedGrantee = input.grantee.address;
    const signedGrantee = typed.value.message["grantee"];
    if (expectedGrantee && (typeof signedGrantee !== "string" || signedGrantee.toLowerCase() !== expectedGrantee.toLowerCase()))
      throw new FlowError("The service sent a grant for another organisation than the one you chose.");
    onStep("signing");
    const signature = await signServerTypedData(typed.value, "Grant");
    let kfrags: string[] | null = null;
    let verifyingKey: string | null = null;
    if (input.grantee.umbral_public_key) {
      onStep("keys");
      const made = await kfragsFor(input.grantee.umbral_public_key, existingKeys);
      kfrags = made.kfrags;
      verifyingKey = made.verifyingKey;
    }
    onStep("sending");
    const submitted = await outcome(
      api.POST("/api/v1/consents", {
        body: { typed_data: typed.value, signature, kfrags, verifying_key: verifyingKey },
      }),
    );
    if (!submitted.ok) return { ok: false, message: problemDetail(submitted.problem, submitted.status) };
    return { ok: true, consent: submitted.value };
  } catch (error) {
    return failure(error);
  }
}

/** Revoke a consent: revocation typed data, wallet signature, submission. */
export async function revokeAccess(consentId: string, onStep: (step: FlowStep) => void): Promise<FlowResult> {
  try {
    onStep("preparing");
    const path = { params: { path: { consent_id: consentId } } };
    const typed = await outcome(api.POST("/api/v1/consents/{consent_id}/revocation/typed-data", path));
    if (!typed.ok) return { ok: false, message: problemDetail(typed.problem, typed.status) };
    onStep("signing");
    const signature = await signServerTypedData(typed.value, "Revoke");
    onStep("sending");
    const revoked = await outcome(
      api.POST("/api/v1/consents/{consent_id}/revocation", {
        ...path,
        body: { typed_data: typed.value, signature },
      }),
    );
    if (!revoked.ok) return { ok: false, message: problemDetail(revoked.problem, revoked.status) };
    return { ok: true, consent: revoked.value };
  } catch (error) {
    return failure(error);
  }
}
