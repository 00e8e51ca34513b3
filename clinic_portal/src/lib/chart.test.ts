import { describe, expect, it } from "vitest";
import { chartCounts, chartStateOf, keysHeldElsewhere } from "./chart";
import type { RecordOpenState } from "./openRecords";

describe("a record opened through the keystore tier", () => {
  it("is shown as people read it", () => {
    const state = chartStateOf({
      ok: true,
      value: {
        resourceType: "Observation",
        status: "final",
        code: { coding: [{ system: "http://loinc.org", code: "4548-4", display: "Hemoglobin A1c" }] },
        valueQuantity: { value: 6.4, unit: "%" },
      },
    });
    expect(state.status).toBe("open");
    if (state.status === "open") expect(JSON.stringify(state.view)).toContain("6.4");
  });

  it("says in words why the gate refused it", () => {
    const refused = chartStateOf({ ok: false, status: 403, problem: { status: 403, title: "Forbidden" } });
    expect(refused).toEqual({
      status: "error",
      message: "Your organisation has no consent of the patient that covers this record.",
    });
    const hidden = chartStateOf({ ok: false, status: 404, problem: undefined });
    expect(hidden.status === "error" && hidden.message).toMatch(/not shared with your organisation/);
    const unkeyed = chartStateOf({
      ok: false,
      status: 409,
      problem: { status: 409, detail: "access is granted but the grant carries no key fragments for this record" },
    });
    expect(unkeyed.status === "error" && unkeyed.message).toMatch(/^This record cannot be opened here\. Access is granted/);
    expect(chartStateOf({ ok: true, value: { no: "type" } }).status).toBe("error");
  });

  it("tells an institution that keeps its own keys from a grant without key fragments", () => {
    const own = { detail: "your keys are held on your side: read /records/{id} and decrypt there" };
    expect(keysHeldElsewhere(409, own)).toBe(true);
    expect(keysHeldElsewhere(409, { detail: "the grant carries no key fragments" })).toBe(false);
    expect(keysHeldElsewhere(403, own)).toBe(false);
  });

  it("counts what opened and what did not", () => {
    const states = new Map<string, RecordOpenState>([
      ["a", { status: "opening" }],
      ["b", { status: "error", message: "no" }],
      ["c", { status: "open", view: { title: "x", facts: [], paragraphs: [] } }],
    ]);
    expect(chartCounts(states)).toEqual({ opened: 1, refused: 1, opening: 1 });
  });
});
