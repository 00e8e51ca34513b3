// Imaging studies as people follow and read them: the steps of an upload (the bytes sent
// from this browser, then the server's phases of api/imaging/progress.py), which images of a
// study to preview, sizes in words. Pure functions: no DOM, no network.

import type { components } from "../api/schema";
import { locale, t, type MessageKey } from "../i18n";

export type StudySummary = components["schemas"]["StudySummary"];
export type StudyDetail = components["schemas"]["StudyDetail"];
export type UploadRow = components["schemas"]["UploadOut"];

/** The server's phases of an upload, in the order they run (api/imaging/progress.py Phase). */
export const SERVER_PHASES = ["validating", "storing", "archiving", "encrypting", "filing"] as const;
export type ServerPhase = (typeof SERVER_PHASES)[number];

/** Every step a person sees: sending the bytes from here, then the server's phases. */
export const UPLOAD_STEPS = ["sending", ...SERVER_PHASES] as const;
export type UploadStep = (typeof UPLOAD_STEPS)[number];

export type StepState = "waiting" | "current" | "done" | "failed";

const STEP_WORDS: Record<UploadStep, MessageKey> = {
  sending: "results.step.sending",
  validating: "results.step.validating",
  storing: "results.step.storing",
  archiving: "results.step.archiving",
  encrypting: "results.step.encrypting",
  filing: "results.step.filing",
};

const STATE_WORDS: Record<StepState, MessageKey> = {
  waiting: "results.stepState.waiting",
  current: "results.stepState.current",
  done: "results.stepState.done",
  failed: "results.stepState.failed",
};

export function stepInWords(step: UploadStep): string {
  return t(STEP_WORDS[step]);
}

export function stepStateInWords(state: StepState): string {
  return t(STATE_WORDS[state]);
}

/** Where an upload is, as far as this browser knows. */
export type UploadProgress = {
  /** All the bytes have left the browser. */
  sent: boolean;
  /** The server's latest progress row, once it has one. */
  row: UploadRow | null;
  /** How it ended: the study filed, or refused; null while it runs. */
  outcome: "completed" | "failed" | null;
};

function isServerPhase(phase: string | null | undefined): phase is ServerPhase {
  return (SERVER_PHASES as readonly string[]).includes(phase ?? "");
}

/**
 * Each step's state. The server's row may be missed between polls (a small study passes every
 * phase in a moment), so a later phase, or the end, marks every earlier one done.
 */
export function uploadSteps(progress: UploadProgress): { step: UploadStep; state: StepState }[] {
  const { sent, row, outcome } = progress;
  const finished = outcome ?? (row?.status === "completed" || row?.status === "failed" ? row.status : null);
  // The step that is running (or was, when it failed): an index into UPLOAD_STEPS.
  let at: number;
  if (!sent) at = 0;
  else if (row && isServerPhase(row.phase)) at = UPLOAD_STEPS.indexOf(row.phase);
  else at = 1; // sent, the server not yet heard from: it validates first
  if (finished === "completed") return UPLOAD_STEPS.map((step) => ({ step, state: "done" }));
  return UPLOAD_STEPS.map((step, i) => ({
    step,
    state: i < at ? "done" : i === at ? (finished === "failed" ? "failed" : "current") : "waiting",
  }));
}

/** A whole percentage of `done` of `total` (0 when the total is unknown), never above 100. */
export function percentOf(done: number, total: number | null | undefined): number {
  if (!total || total <= 0) return 0;
  return Math.max(0, Math.min(100, Math.floor((done / total) * 100)));
}

/** "3.2 MB", "640 kB", "12 bytes", in the person's language. */
export function bytesInWords(bytes: number): string {
  const units = [
    { unit: "gigabyte", size: 1e9 },
    { unit: "megabyte", size: 1e6 },
    { unit: "kilobyte", size: 1e3 },
  ] as const;
  for (const { unit, size } of units) {
    if (bytes >= size) {
      return new Intl.NumberFormat(locale(), { style: "unit", unit, maximumFractionDigits: 1 }).format(bytes / size);
    }
  }
  return new Intl.NumberFormat(locale(), { style: "unit", unit: "byte", unitDisplay: "long" }).format(bytes);
}

/** A fresh upload id (a version 4 UUID), for following the upload while it runs. */
export function newUploadId(random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  const b = random(new Uint8Array(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Which instances to preview: at most `count`, spread evenly over the study in series order
 * (the middle of a CT tells more than its first slices), each once.
 */
export function previewPicks(series: readonly { instances: readonly string[] }[], count: number): string[] {
  const all = series.flatMap((s) => s.instances);
  if (count <= 0 || all.length === 0) return [];
  if (all.length <= count) return [...all];
  const picks: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = Math.round(((i + 0.5) * all.length) / count - 0.5);
    const sop = all[Math.min(all.length - 1, Math.max(0, at))];
    if (sop !== undefined && !picks.includes(sop)) picks.push(sop);
  }
  return picks;
}

/** Files a person chose, as what will be sent: DICOM files and/or ZIPs (hidden files left out). */
export function uploadableFiles<F extends { name: string; size: number }>(files: readonly F[]): F[] {
  return files.filter((f) => f.size > 0 && !f.name.startsWith("."));
}
