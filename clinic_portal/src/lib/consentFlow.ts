// Granting and revoking access with the patient's wallet: the server makes the EIP-712 typed
// data, the wallet signs it here as is, and for a grantee with a published encryption key the
// key fragments are made in this browser from the patient's derived keys (secret keys never
// leave this page). Umbral and viem are loaded on demand (src/lib/wallet.ts, ./umbral).

import { api, type ConsentOut } from "../api/client";
import { t } from "../i18n";
import { problemDetail } from "./format";
import { publishedKey } from "./openRecords";
import { outcome } from "./outcome";
import { signableTypedData, typedDataProblem, type ServerTypedData } from "./sharing";
import type { PatientKeys } from "./umbral";
import { currentWallet, signKeyDerivation, signTypedData, WalletError } from "./wallet";

export type FlowStep = "preparing" | "signing" | "keys" | "sending";

export type FlowResult = { ok: true; consent: ConsentOut } | { ok: false; message: string };

/**
 * Who receives the grant: an organisation of the directory (its id, Ethereum address and
 * published key), or a person by UHID (`address` and `umbral_public_key` null: the portal
 * cannot look up a person's key, so no key fragments are made for them).
 */
export type GrantGrantee = { id: string; address: string | null; umbral_public_key: string | null };

export type GrantInput = {
  grantee: GrantGrantee;
  scope: string;
  purpose: "treatment" | "claim" | "research";
  expiresAt: Date;
  dataFrom: Date | null;
  dataTo: Date | null;
};

class FlowError extends Error {}

function failure(error: unknown): { ok: false; message: string } {
  if (error instanceof FlowError || error instanceof WalletError) return { ok: false, message: error.message };
  return { ok: false, message: t("share.flow.failed") };
}

async function signServerTypedData(typed: ServerTypedData, primaryType: "Grant" | "Revoke"): Promise<`0x${string}`> {
  const wallet = currentWallet();
  if (!wallet) throw new FlowError(t("share.unlockFirst"));
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
      published.unpublished ? t("share.flow.noKeys") : published.message,
    );
  }
  const signature = await signKeyDerivation();
  const umbral = await import("./umbral");
  const keys = await umbral.patientKeysFromSignature(signature);
  try {
    if (keys.encryptingPublicKey !== published.key) throw new FlowError(t("share.flow.wrongWallet"));
    return { kfrags: keys.grantKFrags(granteeKey), verifyingKey: keys.verifyingKey };
  } finally {
    keys.free();
  }
}

/** Grant an organisation or a person access: typed data, wallet signature, key fragments, submission. */
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
      throw new FlowError(t("share.typed.otherGrantee"));
    // The wallet signs what the summary described: the same records, not others.
    if (typed.value.message["scope"] !== input.scope) throw new FlowError(t("share.typed.otherScope"));
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
