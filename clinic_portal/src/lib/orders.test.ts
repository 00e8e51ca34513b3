import { describe, expect, it } from "vitest";
import { codeHasForm, codesOf, ORDER_CODES } from "./orderCodes";
import {
  buildOrder,
  buildOrderResult,
  canReject,
  canResult,
  emptyOrderInput,
  emptyResultInput,
  nextSpecimenSteps,
  OTHER_CODE,
  workListOrder,
  type OrderOut,
} from "./orders";

const ORG = "8a0c1a8e-0000-4000-8000-000000000001";
const NOW = new Date("2026-03-10T09:30:00Z");

function order(over: Partial<OrderOut> = {}): OrderOut {
  return {
    id: "o1",
    status: "active",
    category: "lab",
    code: { system: "http://loinc.org", code: "4548-4", display: "Hemoglobin A1c/Hemoglobin.total in Blood" },
    priority: "routine",
    patient: "1234567890",
    patient_name: "Priya Patient",
    performer: ORG,
    ordering_organization: "org2",
    ordered_by: "u1",
    encounter: null,
    specimen_status: null,
    specimen_reject_reason: null,
    request_record: null,
    result_record: null,
    created_at: "2026-03-10T08:00:00Z",
    updated_at: "2026-03-10T08:00:00Z",
    ...over,
  };
}

describe("the pick-list", () => {
  it("names every code by its system's form, lab tests by LOINC", () => {
    for (const code of ORDER_CODES) expect(codeHasForm(code.system, code.code), code.id).toBe(true);
    expect(codesOf("lab").map((c) => c.code)).toContain("4548-4");
    expect(codesOf("imaging").map((c) => c.code)).toContain("36643-5");
  });
  it("checks code forms as the service does", () => {
    expect(codeHasForm("http://loinc.org", "58410-2")).toBe(true);
    expect(codeHasForm("http://loinc.org", "HbA1c")).toBe(false);
    expect(codeHasForm("http://snomed.info/sct", "399208008")).toBe(true);
    expect(codeHasForm("http://www.radlex.org", "RPID16")).toBe(true);
    expect(codeHasForm("http://example.org", "1")).toBe(false);
  });
});

describe("buildOrder", () => {
  it("builds the body from a pick-list choice, in the encounter", () => {
    const built = buildOrder({ ...emptyOrderInput("lab"), performer: ORG, choice: "hba1c", priority: "stat", reason: " Diabetes follow-up " }, "1234567890", "e1");
    expect(built).toEqual({
      ok: true,
      body: {
        patient: "1234567890",
        category: "lab",
        performer: ORG,
        code: { system: "http://loinc.org", code: "4548-4", display: "Hemoglobin A1c/Hemoglobin.total in Blood" },
        priority: "stat",
        reason: "Diabetes follow-up",
        encounter: "e1",
      },
    });
  });
  it("takes a typed code of the category's systems", () => {
    const input = { ...emptyOrderInput("imaging"), performer: ORG, choice: OTHER_CODE, system: "http://www.radlex.org", code: "RPID16", display: "CT Chest", reason: "Cough" };
    const built = buildOrder(input, "1", null);
    expect(built.ok && built.body.code).toEqual({ system: "http://www.radlex.org", code: "RPID16", display: "CT Chest" });
    expect(built.ok && "encounter" in built.body).toBe(false);
  });
  it("says what is missing or malformed", () => {
    const missing = buildOrder(emptyOrderInput("lab"), "1", null);
    expect(!missing.ok && missing.errors.map((e) => e.field)).toEqual(["performer", "code", "reason"]);
    const typed = buildOrder({ ...emptyOrderInput("lab"), performer: ORG, choice: OTHER_CODE, system: "http://snomed.info/sct", code: "1", display: "", reason: "x" }, "1", null);
    expect(!typed.ok && typed.errors.map((e) => e.field)).toEqual(["system", "display"]);
    const form = buildOrder({ ...emptyOrderInput("lab"), performer: ORG, choice: OTHER_CODE, code: "4548", display: "HbA1c", reason: "x" }, "1", null);
    expect(!form.ok && form.errors.map((e) => e.field)).toEqual(["codeValue"]);
    const chestForLab = buildOrder({ ...emptyOrderInput("lab"), performer: ORG, choice: "chestXray", reason: "x" }, "1", null);
    expect(!chestForLab.ok && chestForLab.errors.map((e) => e.field)).toEqual(["code"]);
  });
});

describe("the work list", () => {
  it("puts open orders first, stat before urgent before routine, the longest waiting first", () => {
    const list = workListOrder([
      order({ id: "routine-old", created_at: "2026-03-10T07:00:00Z" }),
      order({ id: "done-stat", status: "completed", priority: "stat" }),
      order({ id: "urgent", priority: "urgent" }),
      order({ id: "stat", priority: "stat", created_at: "2026-03-10T09:00:00Z" }),
      order({ id: "routine-new", created_at: "2026-03-10T09:00:00Z" }),
    ]);
    expect(list.map((o) => o.id)).toEqual(["stat", "urgent", "routine-old", "routine-new", "done-stat"]);
  });
  it("offers the specimen steps the service allows, forward only", () => {
    expect(nextSpecimenSteps(order())).toEqual(["collected", "received"]);
    expect(nextSpecimenSteps(order({ specimen_status: "collected" }))).toEqual(["received"]);
    expect(nextSpecimenSteps(order({ specimen_status: "received" }))).toEqual(["in_progress"]);
    expect(nextSpecimenSteps(order({ specimen_status: "in_progress" }))).toEqual([]);
    expect(nextSpecimenSteps(order({ category: "imaging" }))).toEqual([]);
    expect(canReject(order({ specimen_status: "in_progress" }))).toBe(true);
    expect(canReject(order({ status: "revoked", specimen_status: "rejected" }))).toBe(false);
  });
  it("takes results once the sample is at the lab, imaging at once", () => {
    expect(canResult(order())).toBe(false);
    expect(canResult(order({ specimen_status: "collected" }))).toBe(false);
    expect(canResult(order({ specimen_status: "received" }))).toBe(true);
    expect(canResult(order({ specimen_status: "in_progress" }))).toBe(true);
    expect(canResult(order({ category: "imaging" }))).toBe(true);
    expect(canResult(order({ status: "completed", specimen_status: "resulted" }))).toBe(false);
  });
});

describe("buildOrderResult", () => {
  it("builds a known test with the lab form's unit, range and interpretation, coded as ordered", () => {
    const built = buildOrderResult(order(), { ...emptyResultInput(order(), NOW), value: "6.8" }, NOW);
    expect(built.ok).toBe(true);
    if (!built.ok) return;
    expect(built.interpretation).toBe("H");
    expect(built.resource.code?.coding).toEqual([order().code]);
    expect(built.resource.valueQuantity).toEqual({ value: 6.8, unit: "%", system: "http://unitsofmeasure.org", code: "%" });
    expect(built.resource.subject?.reference).toBe("Patient/1234567890");
    expect(built.resource.effectiveDateTime).toBe("2026-03-10");
  });
  it("takes a typed unit for other tests", () => {
    const cbc = order({ code: { system: "http://loinc.org", code: "58410-2", display: "CBC panel - Blood by Automated count" } });
    expect(emptyResultInput(cbc, NOW).unit).toBe("");
    const built = buildOrderResult(cbc, { value: "5,2", unit: "10*3/uL", date: "2026-03-09" }, NOW);
    expect(built.ok && built.resource.valueQuantity).toEqual({ value: 5.2, unit: "10*3/uL", system: "http://unitsofmeasure.org", code: "10*3/uL" });
    const bad = buildOrderResult(cbc, { value: "", unit: "per litre", date: "2026-03-11" }, NOW);
    expect(!bad.ok && bad.errors.map((e) => e.field)).toEqual(["value", "unit", "date"]);
  });
  it("refuses a result without a value", () => {
    const built = buildOrderResult(order(), emptyResultInput(order(), NOW), NOW);
    expect(!built.ok && built.errors.map((e) => e.field)).toEqual(["value"]);
  });
});
