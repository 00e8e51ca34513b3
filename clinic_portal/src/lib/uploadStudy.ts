// Sending a DICOM study to POST /api/v1/patients/{uhid}/imaging/studies with progress of the
// bytes sent, and following the server's phases while the request runs.
//
// fetch() reports no upload progress, so the files go by XMLHttpRequest, which needs the
// same bearer header the api client sends (src/api/client.ts keeps the token to itself).

import { api, authorizationHeader, refreshSession } from "../api/client";
import type { StudyUploaded } from "./imagingStudies";
import type { UploadRow } from "./imaging";
import { outcome, type Outcome } from "./outcome";


export type SendProgress = { loaded: number; total: number };

export type SentStudy = Outcome<StudyUploaded>;

/** One request: the files (DICOM and/or ZIP) as multipart `files`, answered by the service. */
function sendOnce(
  url: string,
  form: FormData,
  authorization: string | null,
  onProgress: (p: SendProgress) => void,
  onSent: () => void,
  signal: AbortSignal,
): Promise<SentStudy> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    if (authorization) xhr.setRequestHeader("Authorization", authorization);
    xhr.setRequestHeader("Accept", "application/json, application/problem+json");
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress({ loaded: e.loaded, total: e.total });
    };
    xhr.upload.onload = () => onSent();
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300 && body !== undefined) {
        resolve({ ok: true, value: body as StudyUploaded });
      } else {
        resolve({ ok: false, status: xhr.status, problem: body });
      }
    };
    xhr.onerror = () => resolve({ ok: false, status: 0, problem: undefined });
    xhr.onabort = () => resolve({ ok: false, status: 0, problem: undefined });
    signal.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

/**
 * Upload the files as one study of the patient (against an imaging order, when given: the
 * study is then filed under the order and linked to it), reporting the bytes sent. A 401 (the access
 * token expired meanwhile) refreshes the session once and sends again.
 */
export async function uploadStudy(
  uhid: string,
  order: string | null,
  files: readonly File[],
  uploadId: string,
  onProgress: (p: SendProgress) => void,
  onSent: () => void,
  signal: AbortSignal,
): Promise<SentStudy> {
  const form = new FormData();
  for (const file of files) form.append("files", file, file.name);
  const query = new URLSearchParams({ upload_id: uploadId });
  if (order) query.set("order", order);
  const url = `/api/v1/patients/${encodeURIComponent(uhid)}/imaging/studies?${query.toString()}`;
  const first = await sendOnce(url, form, authorizationHeader(), onProgress, onSent, signal);
  if (first.ok || first.status !== 401 || signal.aborted) return first;
  if (!(await refreshSession())) return first;
  return sendOnce(url, form, authorizationHeader(), onProgress, onSent, signal);
}

/**
 * The server's progress row of this upload, or null while it has none. The institution's
 * recent uploads are asked (never a 404 while the body is still arriving and the row does not
 * exist yet), then the upload itself once it is known.
 */
export async function uploadRow(uploadId: string, known: boolean): Promise<UploadRow | null> {
  if (known) {
    const one = await outcome(
      api.GET("/api/v1/imaging/uploads/{upload_id}", { params: { path: { upload_id: uploadId } } }),
    );
    return one.ok ? one.value : null;
  }
  const recent = await outcome(api.GET("/api/v1/imaging/uploads", { params: { query: { limit: 20, offset: 0 } } }));
  if (!recent.ok) return null;
  return recent.value.find((row) => row.upload_id === uploadId) ?? null;
}
