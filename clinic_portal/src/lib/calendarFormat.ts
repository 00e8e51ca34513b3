// Days and times of slots and appointments in words, in the browser's time zone (named where
// it matters: a time to book or to come).

import { locale, t } from "../i18n";
import { formatUhid } from "./format";

export function formatTime(iso: string, zoneName = false): string {
  const opts: Intl.DateTimeFormatOptions = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  if (zoneName) opts.timeZoneName = "short";
  return new Intl.DateTimeFormat(locale(), opts).format(new Date(iso));
}

export function formatDay(d: Date | string, long = false): string {
  const opts: Intl.DateTimeFormatOptions = long
    ? { weekday: "long", day: "numeric", month: "long", year: "numeric" }
    : { weekday: "short", day: "numeric", month: "short" };
  return new Intl.DateTimeFormat(locale(), opts).format(typeof d === "string" ? new Date(d) : d);
}

/** "Tue 1 Dec, 09:30 GMT+5:30": a slot or an appointment's start, with the zone named. */
export function formatWhen(iso: string): string {
  return `${formatDay(iso)}, ${formatTime(iso, true)}`;
}

/** A short, stable reference of a patient for a list (appointments carry ids only). */
export function shortRef(id: string): string {
  return id.replace(/-/g, "").slice(0, 8).toUpperCase();
}

/** Who an appointment is for, as the clinic reads it: name and UHID as at booking (older
 * bookings carry neither: a short reference of the patient's id). */
export function patientLabel(a: { patient: string; patient_name?: string | null; patient_uhid?: string | null }): string {
  if (a.patient_name && a.patient_uhid) return t("scheduling.patientNamed", { name: a.patient_name, uhid: formatUhid(a.patient_uhid) });
  return t("scheduling.patientRef", { ref: shortRef(a.patient) });
}

export function languagesInWords(tags: readonly string[]): string {
  let names: Intl.DisplayNames | null = null;
  try {
    names = new Intl.DisplayNames([locale()], { type: "language" });
  } catch {
    names = null;
  }
  return tags.map((tag) => names?.of(tag) ?? tag).join(", ");
}

export function feeInWords(amount: string | number, currency: string): string {
  try {
    return new Intl.NumberFormat(locale(), { style: "currency", currency }).format(Number(amount));
  } catch {
    return `${amount} ${currency}`;
  }
}
