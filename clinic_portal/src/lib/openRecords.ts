// Opening (decrypting, in this browser) the patient's own records. The Umbral keys come from
// the wallet's signature; nothing secret is sent anywhere.

import { api } from "../api/client";
import { t } from "../i18n";
import { asFhirResource, recordView, type RecordView } from "./fhir";
import { problemDetail } from "./format";
import { outcome } from "./outcome";
import type { PatientKeys } from "./umbral";

export type RecordOpenState =
  | { status: "opening" }
  | { status: "open"; view: RecordView }
  | { status: "error"; message: string };

/** Why one record did not open: the gate's refusals in words, by HTTP status. */
function recordStatusWords(status: number): string | undefined {
  if (status === 403) return t("patient.record.403");
  if (status === 404) return t("patient.record.404");
  if (status === 409) return t("patient.record.409");
  return undefined;
}

/** Why one record did not open, in words (the API's own explanation added when it gives one). */
export function recordProblemInWords(status: number, problem: unknown): string {
  const lead = recordStatusWords(status);
  const detail = problemDetail(problem, status);
  if (!lead) return detail;
  return detail === lead || detail === problemDetail(undefined, status) ? lead : `${lead} ${detail}`;
}

/** Compressed public keys as the API writes them: lower-case hex without 0x. */
export function normalisePublicKey(hex: string): string {
  return hex.trim().toLowerCase().replace(/^0x/, "");
}

/**
 * The published encrypting public key of the signed-in patient: the key, or null with a message
 * (`unpublished` when none is published, 404; else the API could not be asked).
 */
export async function publishedKey(): Promise<{ key: string } | { key: null; unpublished: boolean; message: string }> {
  const result = await outcome(api.GET("/api/v1/me/keys"));
  if (result.ok) return { key: normalisePublicKey(result.value.umbral_public_key) };
  if (result.status === 404) return { key: null, unpublished: true, message: t("patient.noPublishedKeys") };
  return { key: null, unpublished: false, message: problemDetail(result.problem, result.status) };
}

/** Fetch one sealed record and decrypt it with the patient's keys, as people read it. */
export async function openRecord(keys: PatientKeys, recordId: string): Promise<RecordOpenState> {
  const result = await outcome(
    api.GET("/api/v1/records/{record_id}", { params: { path: { record_id: recordId } } }),
  );
  if (!result.ok) return { status: "error", message: recordProblemInWords(result.status, result.problem) };
  let plaintext: Uint8Array;
  try {
    plaintext = keys.decrypt(result.value.capsule, result.value.ciphertext);
  } catch {
    return { status: "error", message: t("patient.record.notDecrypted") };
  }
  const view = viewOfPlaintext(plaintext);
  plaintext.fill(0);
  if (!view) return { status: "error", message: t("patient.record.notReadable") };
  return { status: "open", view };
}

/** Decrypted bytes (UTF-8 JSON of a FHIR resource) as a view, or null; never the raw JSON. */
export function viewOfPlaintext(plaintext: Uint8Array): RecordView | null {
  try {
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(plaintext));
    const resource = asFhirResource(value);
    return resource ? recordView(resource) : null;
  } catch {
    return null; // not UTF-8 JSON, or a resource too malformed to show
  }
}
