// Billing's pure rules for the portal: the API's invoice, payment, coverage and claim shapes,
// what each status reads as, which desk actions an invoice allows, and when a desk payment's
// Idempotency-Key must be kept for a retry. No DOM, no network.

import type { components } from "../api/schema";
import { t, type MessageKey } from "../i18n";
import { isPositive, parseAmount, percentToRate, parseUnitPrice, compareAmounts, toMinor } from "./money";

export type InvoiceOut = components["schemas"]["InvoiceOut"];
export type LineOut = components["schemas"]["LineOut"];
export type PaymentOut = components["schemas"]["PaymentOut"];
export type IntentOut = components["schemas"]["IntentOut"];
export type CoverageOut = components["schemas"]["CoverageOut"];
export type ClaimOut = components["schemas"]["ClaimOut"];
export type BillableEventOut = components["schemas"]["BillableEventOut"];
export type InvoiceStatus = InvoiceOut["status"];

export type BadgeTone = "active" | "pending" | "revoked" | "other" | "new";

const STATUS: Record<InvoiceStatus, { label: MessageKey; tone: BadgeTone }> = {
  draft: { label: "billing.status.draft", tone: "new" },
  issued: { label: "billing.status.issued", tone: "pending" },
  partly_paid: { label: "billing.status.partly_paid", tone: "pending" },
  paid: { label: "billing.status.paid", tone: "active" },
  void: { label: "billing.status.void", tone: "other" },
};

/** An invoice's status as a badge: its words and its colour. */
export function invoiceStatusBadge(status: InvoiceStatus): { label: string; tone: BadgeTone } {
  const found = STATUS[status];
  return { label: t(found.label), tone: found.tone };
}

const CLAIM: Record<ClaimOut["status"], { label: MessageKey; tone: BadgeTone }> = {
  submitted: { label: "billing.claim.status.submitted", tone: "pending" },
  approved: { label: "billing.claim.status.approved", tone: "active" },
  partial: { label: "billing.claim.status.partial", tone: "pending" },
  denied: { label: "billing.claim.status.denied", tone: "revoked" },
};

export function claimStatusBadge(status: ClaimOut["status"]): { label: string; tone: BadgeTone } {
  const found = CLAIM[status];
  return { label: t(found.label), tone: found.tone };
}

/** Whether the invoice is issued and still owes something (payable, online or at the desk). */
export function isPayable(invoice: Pick<InvoiceOut, "status" | "balance">): boolean {
  return (invoice.status === "issued" || invoice.status === "partly_paid") && isPositive(invoice.balance.amount);
}

/** What the desk may do with an invoice, as the API allows it. */
export function deskActions(invoice: InvoiceOut): {
  addCharge: boolean;
  issue: boolean;
  pay: boolean;
  void: boolean;
  credit: boolean;
  claim: boolean;
  pdf: boolean;
} {
  const draft = invoice.status === "draft";
  const open = invoice.status === "issued" || invoice.status === "partly_paid";
  const untouched =
    invoice.status === "issued" &&
    !isPositive(invoice.paid_total.amount) &&
    !isPositive(invoice.insurer_total.amount) &&
    !isPositive(invoice.credited_total.amount);
  return {
    addCharge: draft,
    issue: draft && invoice.lines.length > 0,
    pay: isPayable(invoice),
    void: untouched,
    credit: open && isPositive(invoice.balance.amount),
    claim: open,
    pdf: !draft && invoice.number !== null,
  };
}

/**
 * Whether a desk payment's Idempotency-Key must be kept for the next attempt: when the
 * answer never came (a network failure, status 0) or the service failed (5xx), the payment
 * may have been taken, and the same key makes a retry answer that payment instead of taking
 * a second one. After any answer (taken, or refused) the next payment is a new one.
 */
export function keepKeyForRetry(status: number): boolean {
  return status === 0 || status >= 500;
}

/** A new Idempotency-Key (a random UUID). randomUUID exists only in secure contexts; the
 * fallback draws the same 122 random bits. */
export function newIdempotencyKey(source: Crypto = crypto): string {
  if (typeof source.randomUUID === "function") return source.randomUUID();
  const bytes = source.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// The payment the patient left for at the provider's checkout, remembered in the tab so that
// the bills screen follows it up when the patient comes back (the provider's return address
// may not name it).
const PENDING_KEY = "ohms.portal.pendingPayment";

export type PendingPayment = { intent: string; invoice: string };

export function rememberPendingPayment(store: Storage | null, pending: PendingPayment): void {
  try {
    store?.setItem(PENDING_KEY, JSON.stringify(pending));
  } catch {
    // Storage full or disabled: the return address still names the invoice.
  }
}

export function pendingPayment(store: Storage | null): PendingPayment | null {
  try {
    const raw = store?.getItem(PENDING_KEY);
    if (!raw) return null;
    const value = JSON.parse(raw) as unknown;
    if (typeof value === "object" && value !== null) {
      const { intent, invoice } = value as Record<string, unknown>;
      if (typeof intent === "string" && typeof invoice === "string") return { intent, invoice };
    }
  } catch {
    // Unreadable: nothing pending.
  }
  return null;
}

export function forgetPendingPayment(store: Storage | null): void {
  try {
    store?.removeItem(PENDING_KEY);
  } catch {
    // Nothing to forget.
  }
}

/** An id the screen's address names (#/bills?invoice=<id>&intent=<id>, where the payment
 * provider's checkout returns the patient), if it is one. */
export function idParameter(params: URLSearchParams, name: "invoice" | "intent"): string | null {
  const value = params.get(name);
  return value && /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(value) ? value : null;
}

export type FieldError = { field: string; message: string };

/** A form's refusal for TroubleAlert: one lead sentence, the problems one per line when
 * there are several, and the fields to mark. */
export type Trouble = { lead: string; lines: string[]; fields: string[] };

export function troubleOf(errors: readonly FieldError[]): Trouble {
  const lines = errors.map((e) => e.message);
  return {
    lead: lines.length === 1 ? (lines[0] ?? "") : t("billing.checkDetails"),
    lines: lines.length === 1 ? [] : lines,
    fields: errors.map((e) => e.field),
  };
}
export type Checked<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export type ChargeInput = {
  description: string;
  code: string;
  quantity: string;
  unitPrice: string;
  taxPercent: string;
  reason: string;
};

export const EMPTY_CHARGE: ChargeInput = { description: "", code: "", quantity: "1", unitPrice: "", taxPercent: "0", reason: "" };

/** The code system of a code the desk types for a manual charge (the organisation's own). */
export const LOCAL_CODE_SYSTEM = "urn:ohms:local-service";

export type ChargeBody = components["schemas"]["ChargeCreate"];

/** A manual charge as the API takes it, or what is wrong with the form. */
export function buildCharge(patient: string, input: ChargeInput, currency: string): Checked<ChargeBody> {
  const errors: FieldError[] = [];
  const description = input.description.trim();
  if (!description) errors.push({ field: "description", message: t("billing.charge.descriptionNeeded") });
  const code = input.code.trim();
  if (code && !/^[A-Za-z0-9][A-Za-z0-9.:_-]{0,63}$/.test(code)) errors.push({ field: "code", message: t("billing.charge.codeInvalid") });
  const quantity = /^\d{1,7}$/.test(input.quantity.trim()) ? Number(input.quantity.trim()) : 0;
  if (quantity < 1 || quantity > 1_000_000) errors.push({ field: "quantity", message: t("billing.charge.quantityInvalid") });
  const unitPrice = parseUnitPrice(input.unitPrice);
  if (unitPrice === null) errors.push({ field: "unitPrice", message: t("billing.charge.priceInvalid") });
  const taxRate = percentToRate(input.taxPercent, 99.99);
  if (taxRate === null) errors.push({ field: "taxPercent", message: t("billing.charge.taxInvalid") });
  const reason = input.reason.trim();
  if (!reason) errors.push({ field: "reason", message: t("billing.charge.reasonNeeded") });
  if (errors.length > 0 || unitPrice === null || taxRate === null) return { ok: false, errors };
  return {
    ok: true,
    value: {
      patient,
      description,
      ...(code ? { code: { system: LOCAL_CODE_SYSTEM, code, display: description } } : {}),
      quantity,
      unit_price: { amount: unitPrice, currency },
      tax_rate: taxRate,
      reason,
    },
  };
}

/** A desk payment's amount: a positive amount of at most two decimals, at most the balance. */
export function checkPaymentAmount(typed: string, balance: string): Checked<string> {
  const amount = parseAmount(typed);
  if (amount === null || !isPositive(amount)) {
    return { ok: false, errors: [{ field: "amount", message: t("billing.pay.amountInvalid") }] };
  }
  if (compareAmounts(amount, balance) === 1) {
    return { ok: false, errors: [{ field: "amount", message: t("billing.pay.aboveBalance") }] };
  }
  return { ok: true, value: amount };
}

export type CoverageInput = {
  insurer: string;
  memberId: string;
  plan: string;
  validFrom: string;
  validTo: string;
  copay: string;
  coinsurancePercent: string;
};

export type CoverageBody = components["schemas"]["CoverageCreate"];

/** A coverage as the API takes it, or what is wrong with the form. */
export function buildCoverage(input: CoverageInput, currency: string): Checked<CoverageBody> {
  const errors: FieldError[] = [];
  if (!input.insurer) errors.push({ field: "insurer", message: t("billing.coverage.insurerNeeded") });
  const memberId = input.memberId.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9./_-]{0,63}$/.test(memberId)) errors.push({ field: "memberId", message: t("billing.coverage.memberInvalid") });
  const plan = input.plan.trim();
  if (!plan) errors.push({ field: "plan", message: t("billing.coverage.planNeeded") });
  const day = /^\d{4}-\d{2}-\d{2}$/;
  if (!day.test(input.validFrom)) errors.push({ field: "validFrom", message: t("billing.coverage.dateNeeded") });
  if (!day.test(input.validTo)) errors.push({ field: "validTo", message: t("billing.coverage.dateNeeded") });
  else if (day.test(input.validFrom) && input.validTo < input.validFrom) {
    errors.push({ field: "validTo", message: t("billing.coverage.periodReversed") });
  }
  const copay = parseAmount(input.copay.trim() === "" ? "0" : input.copay);
  if (copay === null) errors.push({ field: "copay", message: t("billing.coverage.copayInvalid") });
  const coinsurance = percentToRate(input.coinsurancePercent.trim() === "" ? "0" : input.coinsurancePercent);
  if (coinsurance === null) errors.push({ field: "coinsurance", message: t("billing.coverage.coinsuranceInvalid") });
  if (errors.length > 0 || copay === null || coinsurance === null) return { ok: false, errors };
  return {
    ok: true,
    value: {
      insurer: input.insurer,
      member_id: memberId,
      plan,
      valid_from: input.validFrom,
      valid_to: input.validTo,
      copay: { amount: copay, currency },
      coinsurance,
    },
  };
}

/** Per-line credit amounts as the API takes them (lines left empty or at zero are not credited). */
export function buildCreditLines(
  lines: readonly LineOut[],
  typed: Readonly<Record<string, string>>,
): Checked<{ charge: string; amount: { amount: string; currency: string } }[]> {
  const errors: FieldError[] = [];
  const chosen: { charge: string; amount: { amount: string; currency: string } }[] = [];
  for (const line of lines) {
    const text = (typed[line.id] ?? "").trim();
    if (!text) continue;
    const amount = parseAmount(text);
    if (amount === null) {
      errors.push({ field: `line-${line.id}`, message: t("billing.credit.lineInvalid", { line: line.description }) });
      continue;
    }
    if (compareAmounts(amount, line.amount.amount) === 1) {
      errors.push({ field: `line-${line.id}`, message: t("billing.credit.lineAbove", { line: line.description }) });
      continue;
    }
    if ((toMinor(amount) ?? 0n) > 0n) chosen.push({ charge: line.id, amount: { amount, currency: line.amount.currency } });
  }
  if (errors.length === 0 && chosen.length === 0) errors.push({ field: "lines", message: t("billing.credit.noLines") });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: chosen };
}

/** Today as YYYY-MM-DD in the browser's time zone (a date input's value). */
export function isoDay(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
