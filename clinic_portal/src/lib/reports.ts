// Pure logic of the finance screens (the price list, the insurer's claims, the reports): money
// as exact cents, rates as percentages, the default report period, chart scales and what a
// FHIR Claim says about its parties. No DOM, no network.
//
// Amounts arrive as decimal strings ("849.6", "1744.00") and are added here as whole cents
// (bigint), never as binary floats, so a sum shown is the sum the API computes to the cent.

import { locale } from "../i18n";
import { formatMoney as formatMoneyText } from "./money";

export type Money = { amount: string; currency: string };

const AMOUNT = /^(\d{1,12})(?:\.(\d{1,2}))?$/;
const SIGNED = /^(-?)(\d+)(?:\.(\d+))?$/;

/** Cents of a decimal string the API wrote (any scale, may be negative; rounded half up past
 * two decimals), or null when it is not a number. */
export function centsOf(amount: string): bigint | null {
  const m = SIGNED.exec(amount.trim());
  if (!m) return null;
  const [, sign, whole, frac = ""] = m;
  let cents = BigInt(whole ?? "0") * 100n + BigInt((frac + "00").slice(0, 2));
  if (frac.length > 2 && Number(frac[2]) >= 5) cents += 1n;
  return sign === "-" ? -cents : cents;
}

/** Cents of an amount a person typed ("500", "12.5", "12.50"); null when it is not one. */
export function typedCents(text: string): bigint | null {
  const m = AMOUNT.exec(text.trim());
  if (!m) return null;
  return BigInt(m[1] ?? "0") * 100n + BigInt(((m[2] ?? "") + "00").slice(0, 2));
}

/** Cents as the API's decimal string: 84960n -> "849.60". */
export function centsText(cents: bigint): string {
  const sign = cents < 0n ? "-" : "";
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, "0")}`;
}

/** The sum of decimal strings to the cent (those that are not numbers count as nothing). */
export function sumAmounts(amounts: readonly string[]): string {
  return centsText(amounts.reduce((sum, a) => sum + (centsOf(a) ?? 0n), 0n));
}

/** Money in the reader's language: "₹849.60" (src/lib/money.ts formats it), from the amount
 * rounded to cents first: the reports' amounts may come without their scale ("849.6"). */
export function formatMoney(money: Money): string {
  const cents = centsOf(money.amount);
  return formatMoneyText(cents === null ? money : { amount: centsText(cents), currency: money.currency });
}

// --- rates ----------------------------------------------------------------------------------

/** A rate as a percentage without trailing zeros: "0.18" -> "18", "0.1250" -> "12.5". */
export function percentOf(rate: string): string {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(rate.trim());
  if (!m) return rate;
  const frac = (m[2] ?? "").padEnd(2, "0");
  const whole = (m[1] + frac.slice(0, 2)).replace(/^0+(?=\d)/, "");
  const rest = frac.slice(2).replace(/0+$/, "");
  return rest ? `${whole}.${rest}` : whole;
}

/** A typed percentage as the API's rate: "18" -> "0.18", "12.5" -> "0.125"; null when it is
 * not a percentage from 0 to below 100 with at most two decimals. */
export function rateFromPercent(typed: string): string | null {
  const m = /^(\d{1,2})(?:\.(\d{1,2}))?$/.exec(typed.trim());
  if (!m) return null;
  const basisPoints = Number(m[1]) * 100 + Number(((m[2] ?? "") + "00").slice(0, 2));
  const text = String(basisPoints).padStart(4, "0");
  const frac = text.replace(/0+$/, "");
  return frac ? `0.${frac}` : "0";
}

// --- dates ----------------------------------------------------------------------------------

function isoDay(d: Date): string {
  const month = String(d.getMonth() + 1).padStart(2, "0");
  const day = String(d.getDate()).padStart(2, "0");
  return `${d.getFullYear()}-${month}-${day}`;
}

/** Today in the browser's time zone, as YYYY-MM-DD. */
export function todayIso(now: Date = new Date()): string {
  return isoDay(now);
}

/** The default report period: the first of this month to today (the browser's days). */
export function thisMonth(now: Date = new Date()): { from: string; to: string } {
  return { from: isoDay(new Date(now.getFullYear(), now.getMonth(), 1)), to: isoDay(now) };
}

/** A YYYY-MM-DD day in the reader's language, without moving it across time zones. */
export function formatDay(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return day;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeZone: "UTC" }).format(date);
}

// --- charts ---------------------------------------------------------------------------------

export type Bar = { label: string; cents: bigint; text: string };

/** Each bar's length as a fraction of the longest (0 for a bar of nothing or below zero). */
export function barFractions(bars: readonly Bar[]): number[] {
  const most = bars.reduce((m, b) => (b.cents > m ? b.cents : m), 0n);
  if (most === 0n) return bars.map(() => 0);
  return bars.map((b) => (b.cents > 0n ? Number((b.cents * 10000n) / most) / 10000 : 0));
}

// --- claims ---------------------------------------------------------------------------------

/** What the coverage pays of `total`, as the API computes it (api/insurance/service.py
 * coverage_pays): (total - co-pay) x (1 - co-insurance), rounded once, half up, never below 0. */
export function coveragePays(total: string, copay: string, coinsurance: string): string | null {
  const t = centsOf(total);
  const c = centsOf(copay);
  const m = /^(\d+)(?:\.(\d{0,4})\d*)?$/.exec(coinsurance.trim());
  if (t === null || c === null || !m) return null;
  const rate = BigInt(m[1] ?? "0") * 10000n + BigInt(((m[2] ?? "") + "0000").slice(0, 4)); // out of 10000
  const scaled = (t - c) * (10000n - rate); // cents x 10000
  if (scaled <= 0n) return "0.00";
  return centsText((scaled + 5000n) / 10000n);
}

export type ClaimParties = { patient: string | null; provider: string | null; coverage: string | null };

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function text(value: unknown): string | null {
  return typeof value === "string" && value ? value : null;
}

/** The patient's UHID, the provider's name and the coverage's id a FHIR Claim names (its
 * JSON as the API serves it; anything missing is null). */
export function claimParties(fhirClaim: unknown): ClaimParties {
  const claim = record(fhirClaim);
  const patient = text(record(record(claim?.patient)?.identifier)?.value);
  const provider = text(record(claim?.provider)?.display);
  const insurance = Array.isArray(claim?.insurance) ? claim.insurance : [];
  const reference = text(record(record(insurance[0])?.coverage)?.reference);
  const coverage = reference?.startsWith("Coverage/") ? reference.slice("Coverage/".length) : null;
  return { patient, provider, coverage };
}
