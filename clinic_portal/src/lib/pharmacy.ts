// Pure helpers of the prescribing and pharmacy screens: the allergy warning in a refusal,
// the allergy check in words, money, dates of lots, and whole numbers typed by people.

import { locale, t, type MessageKey } from "../i18n";

export const RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm";

export type AllergyCheck = "passed" | "overridden" | "partial" | "client";

/** The allergy named by a 409 whose problem `type` ends with `allergy-warning`, else null. */
export function allergyWarning(problem: unknown, status: number): string | null {
  if (status !== 409 || typeof problem !== "object" || problem === null) return null;
  const { type, detail } = problem as { type?: unknown; detail?: unknown };
  if (typeof type !== "string" || !type.endsWith("allergy-warning")) return null;
  return typeof detail === "string" && detail.trim() ? detail : "";
}

/**
 * The allergy (or allergies) a warning's detail names, as a person reads it: the service
 * writes "... matches the patient's recorded allergy Penicillin (record <id>: class
 * penicillins (ATC J01C)). Give `allergy_override_reason` ..."; the record id and the API's
 * field name are for programs. Null when the detail is not in that form.
 */
export function allergyNamed(detail: string): string | null {
  const found = /recorded allergy (.+?)\. Give `/s.exec(detail);
  if (!found?.[1]) return null;
  return found[1].replace(/\(record [0-9a-fA-F-]+: /g, "(").trim();
}

const CHECK_WORDS: Record<AllergyCheck, MessageKey> = {
  passed: "pharmacy.check.passed",
  overridden: "pharmacy.check.overridden",
  partial: "pharmacy.check.partial",
  client: "pharmacy.check.client",
};

export function allergyCheckInWords(check: AllergyCheck): string {
  return t(CHECK_WORDS[check]);
}

/** A whole number of at least `min` typed by a person ("12"), else null (no "1e3", no "2.5"). */
export function wholeNumber(typed: string, min = 1): number | null {
  const text = typed.trim();
  if (!/^\d{1,7}$/.test(text)) return null;
  const n = Number(text);
  return n >= min ? n : null;
}

/** An RxNorm concept id: digits only (the service refuses anything else). */
export function isRxcui(code: string): boolean {
  return /^\d{1,12}$/.test(code.trim());
}

/** A decimal amount as the API takes it ("12.50"), from what was typed, else null. */
export function amountText(typed: string): string | null {
  const text = typed.trim();
  if (!/^\d{1,10}(\.\d{1,2})?$/.test(text)) return null;
  return Number(text).toFixed(2);
}

/** Money of the API ({amount: "12.50", currency: "INR"}) in the reader's language. */
export function formatMoney(money: { amount: string; currency: string }): string {
  const n = Number(money.amount);
  try {
    return new Intl.NumberFormat(locale(), { style: "currency", currency: money.currency }).format(n);
  } catch {
    return `${money.amount} ${money.currency}`;
  }
}

/** A calendar day of the API ("2027-03-31") as people read it, without shifting time zones. */
export function formatDay(day: string): string {
  const [y, m, d] = day.split("-").map(Number);
  if (!y || !m || !d) return day;
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeZone: "UTC" }).format(Date.UTC(y, m - 1, d));
}

/** Lots in the order to use them: first expiry, first out (ties by lot number). */
export function firstExpiryFirst<L extends { expiry: string; lot_number: string }>(lots: readonly L[]): L[] {
  return [...lots].sort((a, b) => a.expiry.localeCompare(b.expiry) || a.lot_number.localeCompare(b.lot_number));
}

/** Packs of an order line still to receive. */
export function packsLeft(line: { quantity: number; received: number }): number {
  return Math.max(0, line.quantity - line.received);
}
