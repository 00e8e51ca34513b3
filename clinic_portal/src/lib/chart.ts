// A clinician's chart: the patient's records their institution may read, opened through the
// keystore tier (GET /api/v1/records/{id}/resource: the service checks the consent, logs the
// read and decrypts with the institution's server-held key). What the gate refuses is said in
// words. Pure: the answer of one read becomes a RecordOpenState; no DOM, no network here.

import { t } from "../i18n";
import { asFhirResource, recordView } from "./fhir";
import { problemDetail } from "./format";
import type { RecordOpenState } from "./openRecords";
import type { Outcome } from "./outcome";

/** The lead words for a refused read, by the gate's status. */
function refusalWords(status: number): string | undefined {
  if (status === 403) return t("staff.chart.403");
  if (status === 404) return t("staff.chart.404");
  if (status === 409) return t("staff.chart.409");
  return undefined;
}

/**
 * Whether a 409 says the institution keeps its own keys (not on the keystore tier): then no
 * record opens here, and the chart says so once instead of asking for each record.
 */
export function keysHeldElsewhere(status: number, problem: unknown): boolean {
  if (status !== 409 || typeof problem !== "object" || problem === null) return false;
  const detail = (problem as Record<string, unknown>)["detail"];
  return typeof detail === "string" && /held on your side/i.test(detail);
}

/** One read through the keystore tier as the chart shows it: opened, or why not in words. */
export function chartStateOf(result: Outcome<unknown>): RecordOpenState {
  if (!result.ok) {
    const lead = refusalWords(result.status);
    const detail = problemDetail(result.problem, result.status);
    const generic = problemDetail(undefined, result.status);
    const message = !lead ? detail : detail === generic || detail === lead ? lead : `${lead} ${detail}`;
    return { status: "error", message };
  }
  const resource = asFhirResource(result.value);
  if (!resource) return { status: "error", message: t("staff.chart.notReadable") };
  try {
    return { status: "open", view: recordView(resource) };
  } catch {
    return { status: "error", message: t("staff.chart.notReadable") };
  }
}

export type ChartCounts = { opened: number; refused: number; opening: number };

/** How many records opened, were refused, or are still opening. */
export function chartCounts(states: ReadonlyMap<string, RecordOpenState>): ChartCounts {
  const counts: ChartCounts = { opened: 0, refused: 0, opening: 0 };
  for (const state of states.values()) {
    if (state.status === "open") counts.opened++;
    else if (state.status === "error") counts.refused++;
    else counts.opening++;
  }
  return counts;
}
