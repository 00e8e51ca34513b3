// Orders as the portal handles them: checking a new order before it is sent, the lab's work
// list order (stat first), the specimen steps an order may take next, and a result against an
// order built as a FHIR R4 Observation. Pure functions: no DOM, no network.

import type { components } from "../api/schema";
import { t } from "../i18n";
import type { Observation, Quantity } from "./fhir";
import { buildLabResult, emptyLabInput, LAB_TESTS, type Interpretation } from "./fhirResults";
import { localDay, OBSERVATION_CATEGORY, parseNumber, patientReference, UCUM, type FieldError } from "./fhirWrite";
import { CODE_SYSTEMS, codeHasForm, LOINC_SYSTEM, ORDER_CODES, type OrderCategory } from "./orderCodes";

export type OrderOut = components["schemas"]["OrderOut"];
export type OrderPriority = components["schemas"]["OrderPriority"];
export type OrderStatus = components["schemas"]["OrderStatus"];
export type SpecimenStatus = components["schemas"]["SpecimenStatus"];
export type SpecimenRejection = components["schemas"]["SpecimenRejection"];
export type OrderCreate = components["schemas"]["OrderCreate"];

export const PRIORITIES: readonly OrderPriority[] = ["routine", "urgent", "stat"];
export const REJECTIONS: readonly SpecimenRejection[] = [
  "hemolysed",
  "clotted",
  "insufficient_quantity",
  "contaminated",
  "mislabelled",
  "container_broken",
  "improper_storage",
  "expired",
  "other",
];
/** Organisation kinds that perform each category (the service refuses others: api/orders/service.py). */
export const PERFORMER_KINDS: Record<OrderCategory, readonly string[]> = {
  lab: ["lab", "hospital"],
  imaging: ["radiology", "hospital"],
};

/** The longest reason the API takes (characters). */
export const REASON_MAX = 1000;

export type OrderField = "performer" | "code" | "system" | "codeValue" | "display" | "reason";
/** What the order form holds: a pick-list choice, or "other" with a typed system/code/display. */
export type OrderInput = {
  category: OrderCategory;
  performer: string;
  choice: string;
  system: string;
  code: string;
  display: string;
  priority: OrderPriority;
  reason: string;
};

export function emptyOrderInput(category: OrderCategory = "lab"): OrderInput {
  return { category, performer: "", choice: "", system: CODE_SYSTEMS[category][0] ?? "", code: "", display: "", priority: "routine", reason: "" };
}

export const OTHER_CODE = "other";

export type BuiltOrder = { ok: true; body: OrderCreate } | { ok: false; errors: FieldError<OrderField>[] };

/** The body of POST /api/v1/orders, or what is wrong with the form. */
export function buildOrder(input: OrderInput, patient: string, encounter: string | null): BuiltOrder {
  const errors: FieldError<OrderField>[] = [];
  if (!input.performer) errors.push({ field: "performer", message: t("orders.error.performer") });
  let code: OrderCreate["code"] | null = null;
  if (input.choice === OTHER_CODE) {
    const system = input.system.trim();
    const value = input.code.trim();
    const display = input.display.trim();
    if (!CODE_SYSTEMS[input.category].includes(system)) errors.push({ field: "system", message: t("orders.error.system") });
    else if (!codeHasForm(system, value)) errors.push({ field: "codeValue", message: t("orders.error.codeForm") });
    if (!display) errors.push({ field: "display", message: t("orders.error.display") });
    if (!errors.some((e) => e.field === "system" || e.field === "codeValue" || e.field === "display")) code = { system, code: value, display };
  } else {
    const found = ORDER_CODES.find((c) => c.id === input.choice && c.category === input.category);
    if (!found) errors.push({ field: "code", message: t("orders.error.code") });
    else code = { system: found.system, code: found.code, display: found.display };
  }
  const reason = input.reason.trim();
  if (!reason) errors.push({ field: "reason", message: t("orders.error.reason") });
  else if (reason.length > REASON_MAX) errors.push({ field: "reason", message: t("orders.error.reasonLong", { max: REASON_MAX }) });
  if (errors.length || !code) return { ok: false, errors };
  const body: OrderCreate = { patient, category: input.category, performer: input.performer, code, priority: input.priority, reason };
  if (encounter) body.encounter = encounter;
  return { ok: true, body };
}

const PRIORITY_RANK: Record<OrderPriority, number> = { stat: 0, urgent: 1, routine: 2 };
const STATUS_RANK: Record<OrderStatus, number> = { active: 0, completed: 1, revoked: 2 };

/** The work list's order: open orders first, then stat, urgent, routine; the longest waiting first. */
export function workListOrder(orders: readonly OrderOut[]): OrderOut[] {
  return [...orders].sort(
    (a, b) =>
      STATUS_RANK[a.status] - STATUS_RANK[b.status] ||
      PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] ||
      a.created_at.localeCompare(b.created_at),
  );
}

export type SpecimenStep = "collected" | "received" | "in_progress";

/** The specimen steps a lab order may take next (as the service allows: forward only). */
export function nextSpecimenSteps(order: OrderOut): SpecimenStep[] {
  if (order.category !== "lab" || order.status !== "active") return [];
  switch (order.specimen_status) {
    case null:
      return ["collected", "received"];
    case "collected":
      return ["received"];
    case "received":
      return ["in_progress"];
    default:
      return [];
  }
}

/** Whether the specimen may still be rejected. */
export function canReject(order: OrderOut): boolean {
  return order.category === "lab" && order.status === "active" && order.specimen_status !== "rejected";
}

/** Whether results may be filed now: an open order; a lab order once its specimen is at the lab. */
export function canResult(order: OrderOut): boolean {
  if (order.status !== "active" || order.specimen_status === "rejected") return false;
  if (order.category === "imaging") return true;
  return order.specimen_status === "received" || order.specimen_status === "in_progress";
}

// ---- results against an order ----

export type ResultField = "value" | "unit" | "date";
export type ResultInput = { value: string; unit: string; date: string };

/** The known test the order names (its unit and usual range), if it is one of the results form's. */
export function knownTest(order: Pick<OrderOut, "code">) {
  return order.code.system === LOINC_SYSTEM ? LAB_TESTS.find((test) => test.loinc === order.code.code) : undefined;
}

export function emptyResultInput(order: Pick<OrderOut, "code">, now: Date): ResultInput {
  return { value: "", unit: knownTest(order)?.unit.code ?? "", date: localDay(now) };
}

export type BuiltResult =
  | { ok: true; resource: Observation; interpretation: Interpretation | null }
  | { ok: false; errors: FieldError<ResultField>[] };

/**
 * The order's result as a FHIR R4 Observation (category laboratory, status final) coded as the
 * order was. A test the lab result form knows (HbA1c, glucose…) is built by that form's logic,
 * with its UCUM unit, usual reference range and interpretation; any other takes the typed unit.
 * The service adds `basedOn` the order's ServiceRequest.
 */
export function buildOrderResult(order: Pick<OrderOut, "code" | "patient">, input: ResultInput, now: Date): BuiltResult {
  const test = knownTest(order);
  if (test) {
    const built = buildLabResult(
      order.patient,
      { ...emptyLabInput(now), test: test.id, value: input.value, low: String(test.range.low), high: String(test.range.high), date: input.date },
      now,
    );
    if (!built.ok) {
      return { ok: false, errors: built.errors.flatMap((e) => (e.field === "value" || e.field === "date" ? [{ field: e.field, message: e.message }] : [])) };
    }
    // Coded exactly as ordered (the order's display), so the result reads as the order's.
    built.resource.code = { coding: [{ ...order.code }], text: test.text };
    return { ok: true, resource: built.resource, interpretation: built.interpretation };
  }
  const errors: FieldError<ResultField>[] = [];
  const value = parseNumber(input.value, false);
  if (!input.value.trim()) errors.push({ field: "value", message: t("results.lab.error.valueMissing") });
  else if (value === null) errors.push({ field: "value", message: t("results.lab.error.valueNumber") });
  const unit = input.unit.trim();
  if (!unit || /\s/.test(unit)) errors.push({ field: "unit", message: t("orders.result.error.unit") });
  const date = input.date.trim();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) {
    errors.push({ field: "date", message: t("results.lab.error.date") });
  } else if (date > localDay(now)) errors.push({ field: "date", message: t("results.lab.error.dateFuture") });
  if (errors.length || value === null) return { ok: false, errors };
  const quantity: Quantity = { value, unit, system: UCUM, code: unit };
  return {
    ok: true,
    interpretation: null,
    resource: {
      resourceType: "Observation",
      status: "final",
      category: [{ coding: [{ system: OBSERVATION_CATEGORY, code: "laboratory", display: "Laboratory" }] }],
      code: { coding: [{ ...order.code }], text: order.code.display },
      subject: patientReference(order.patient),
      effectiveDateTime: date,
      issued: now.toISOString(),
      valueQuantity: quantity,
    },
  };
}
