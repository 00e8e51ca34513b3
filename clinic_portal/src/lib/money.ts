// Money as the API writes it: a decimal string with an ISO 4217 currency ({"amount": "500.00",
// "currency": "INR"}). Amounts are never turned into binary floats: they are formatted from
// their string, compared and summed in integer minor units (paise, cents) taken from the
// string's digits, and rates typed as percentages become decimal strings by moving digits.

import { locale } from "../i18n";

export type Money = { amount: string; currency: string };

/** The API's amounts carry at most two decimals (NUMERIC(12, 2)). */
const MINOR_DIGITS = 2;
const AMOUNT = /^(\d+)(?:\.(\d+))?$/;

/** "1500.5" -> 150050n: the amount in minor units, or null when it is not a plain decimal
 * with at most two decimals. The API's money strings and a person's typed amounts both. */
export function toMinor(amount: string): bigint | null {
  const match = AMOUNT.exec(amount.trim());
  if (!match) return null;
  const whole = match[1] ?? "0";
  const fraction = match[2] ?? "";
  // "12.500" (four decimals of a unit price) is still exact when the extra digits are zeros.
  const significant = fraction.replace(/0+$/, "");
  if (significant.length > MINOR_DIGITS) return null;
  return BigInt(whole + significant.padEnd(MINOR_DIGITS, "0"));
}

/** 150050n -> "1500.50": the decimal string the API expects. */
export function fromMinor(minor: bigint): string {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(MINOR_DIGITS + 1, "0");
  const text = `${digits.slice(0, -MINOR_DIGITS)}.${digits.slice(-MINOR_DIGITS)}`;
  return negative ? `-${text}` : text;
}

/** A sum of amounts of one currency, exactly (minor units). */
export function sumMoney(amounts: readonly Money[], currency: string): Money {
  let total = 0n;
  for (const m of amounts) total += toMinor(m.amount) ?? 0n;
  return { amount: fromMinor(total), currency };
}

/** Whether an amount is above zero (a balance still owed). */
export function isPositive(amount: string): boolean {
  const minor = toMinor(amount);
  return minor !== null && minor > 0n;
}

/** -1, 0 or 1 as `a` is below, equal to or above `b`; null when either is not an amount. */
export function compareAmounts(a: string, b: string): -1 | 0 | 1 | null {
  const x = toMinor(a);
  const y = toMinor(b);
  if (x === null || y === null) return null;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A typed amount ("1,500.5", " 200 ") as the API's decimal string ("1500.50"), or null when
 * it is not an amount with at most two decimals. Group separators are dropped. */
export function parseAmount(typed: string): string | null {
  const minor = toMinor(typed.replace(/[\s,\u00a0]/g, ""));
  return minor === null ? null : fromMinor(minor);
}

/** A typed unit price, at most four decimals ("12.3456"), trimmed of group separators. */
export function parseUnitPrice(typed: string): string | null {
  const text = typed.replace(/[\s,\u00a0]/g, "");
  const match = /^(\d+)(?:\.(\d{1,4}))?$/.exec(text);
  if (!match) return null;
  const whole = (match[1] ?? "0").replace(/^0+(?=\d)/, "");
  return match[2] ? `${whole}.${match[2]}` : whole;
}

/** A percentage as typed ("18", "12.5", "0") as the API's decimal fraction ("0.18", "0.125",
 * "0"), at most four decimals of the fraction; null when it is not a number from 0 to
 * `max` (100 by default) with at most two decimals. */
export function percentToRate(typed: string, max = 100): string | null {
  const match = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(typed.trim().replace(/\s*%$/, ""));
  if (!match) return null;
  // Basis points of a percent: 12.5 % -> 1250 (ten-thousandths of one).
  const basis = Number(match[1]) * 100 + Number((match[2] ?? "").padEnd(2, "0"));
  if (basis > max * 100) return null;
  const digits = basis.toString().padStart(5, "0");
  const fraction = digits.slice(-4).replace(/0+$/, "");
  const whole = digits.slice(0, -4).replace(/^0+(?=\d)/, "");
  return fraction ? `${whole}.${fraction}` : whole;
}

/** A decimal fraction from the API ("0.1800") as a percentage for people ("18"). */
export function rateToPercent(rate: string): string {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(rate.trim());
  if (!match) return rate;
  const fraction = (match[2] ?? "").padEnd(2, "0");
  const whole = `${match[1] ?? "0"}${fraction.slice(0, 2)}`.replace(/^0+(?=\d)/, "");
  const rest = fraction.slice(2).replace(/0+$/, "");
  return rest ? `${whole}.${rest}` : whole;
}

/** "₹1,500.50" (in the language of the moment). Intl formats a decimal string exactly; the
 * typing of ES2022 knows only numbers, hence the cast (the getter gives a bound function). */
export function formatMoney(money: Money, lang = locale()): string {
  try {
    const format = new Intl.NumberFormat(lang, { style: "currency", currency: money.currency });
    return (format.format as unknown as (value: string) => string)(money.amount);
  } catch {
    // A currency Intl does not know: the amount and its code as written.
    return `${money.amount} ${money.currency}`;
  }
}
