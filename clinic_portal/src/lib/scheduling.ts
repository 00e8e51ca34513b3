// Pure logic of the scheduling screens: appointment statuses and reason codes in words,
// days and weeks in the browser's time zone, slots grouped by day, and the checks of a
// weekly schedule before it is sent (the service checks again and has the last word).

import type { components } from "../api/schema";
import type { MessageKey } from "../i18n";

export type AppointmentOut = components["schemas"]["AppointmentOut"];
export type AppointmentStatus = components["schemas"]["AppointmentStatus"];
export type ChangeReason = components["schemas"]["ChangeReason"];
export type SlotOut = components["schemas"]["SlotOut"];
export type PractitionerOut = components["schemas"]["PractitionerOut"];
export type ScheduleOut = components["schemas"]["ScheduleOut"];

export const CHANGE_REASONS: readonly ChangeReason[] = [
  "patient_request",
  "practitioner_unavailable",
  "clinic_closed",
  "resource_unavailable",
  "rebooked",
  "other",
];

const STATUS_KEYS: Record<AppointmentStatus, MessageKey> = {
  pending: "scheduling.status.pending",
  booked: "scheduling.status.booked",
  arrived: "scheduling.status.arrived",
  fulfilled: "scheduling.status.fulfilled",
  cancelled: "scheduling.status.cancelled",
  noshow: "scheduling.status.noshow",
};

/** The message key of a status, and the badge tone it shows in (an unknown one: "other"). */
export function statusBadge(status: string): { key: MessageKey; tone: string } {
  const key = STATUS_KEYS[status as AppointmentStatus] ?? "scheduling.status.unknown";
  const tones: Record<string, string> = {
    pending: "pending",
    booked: "active",
    arrived: "new",
    fulfilled: "granted",
    cancelled: "revoked",
    noshow: "other",
  };
  return { key, tone: tones[status] ?? "other" };
}

export function reasonKey(reason: string): MessageKey {
  return CHANGE_REASONS.includes(reason as ChangeReason)
    ? (`scheduling.reason.${reason}` as MessageKey)
    : "scheduling.reason.other";
}

/** Still to come, and changeable: waiting for the clinic or confirmed. */
export function isChangeable(status: string): boolean {
  return status === "pending" || status === "booked";
}

/** A patient's appointments split into upcoming (soonest first) and past (latest first). */
export function splitUpcoming<T extends Pick<AppointmentOut, "start" | "end" | "status">>(
  items: readonly T[],
  now: Date,
): { upcoming: T[]; past: T[] } {
  const at = (a: T) => new Date(a.start).getTime();
  const upcoming = items
    .filter((a) => (isChangeable(a.status) || a.status === "arrived") && new Date(a.end).getTime() > now.getTime())
    .sort((a, b) => at(a) - at(b));
  const past = items.filter((a) => !upcoming.includes(a)).sort((a, b) => at(b) - at(a));
  return { upcoming, past };
}

/** The browser's IANA time zone ("Asia/Kolkata"); UTC when the browser does not say. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** Midnight starting the day of `d`, in the browser's time zone. */
export function startOfDay(d: Date): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate());
}

/** `d` moved by whole days of the calendar (a daylight-saving change keeps midnight). */
export function addDays(d: Date, days: number): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + days, d.getHours(), d.getMinutes());
}

/** The Monday starting the week of `d`. */
export function startOfWeek(d: Date): Date {
  const day = startOfDay(d);
  return addDays(day, -((day.getDay() + 6) % 7));
}

export type CalendarView = "day" | "week";

/** The days a calendar view shows around `anchor`: one day, or Monday to Sunday. */
export function daysOf(view: CalendarView, anchor: Date): Date[] {
  const first = view === "day" ? startOfDay(anchor) : startOfWeek(anchor);
  return Array.from({ length: view === "day" ? 1 : 7 }, (_, i) => addDays(first, i));
}

/** "2026-12-01" for the day of `d` in the browser's time zone (a key for grouping). */
export function dayKey(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Items with a `start` grouped by their day in the browser's zone, in time order. */
export function groupByDay<T extends { start: string }>(items: readonly T[]): Map<string, T[]> {
  const sorted = [...items].sort((a, b) => new Date(a.start).getTime() - new Date(b.start).getTime());
  const groups = new Map<string, T[]>();
  for (const item of sorted) {
    const key = dayKey(new Date(item.start));
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return groups;
}

/**
 * A `datetime-local` input's value ("2026-12-01T09:30", the browser's wall clock) as an ISO
 * instant with its offset, as the API wants; null when it is not a time.
 */
export function localInputToIso(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** A date as a `datetime-local` value in the browser's zone. */
export function toLocalInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${dayKey(d)}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// --- weekly schedules -----------------------------------------------------------------------

export type HoursRow = { weekday: number; start: string; end: string };

export type ScheduleForm = {
  rows: HoursRow[];
  slotMinutes: string;
  timezone: string;
  validFrom: string;
  validTo: string;
};

export type ScheduleField = "rows" | "slotMinutes" | "timezone" | "validFrom" | "validTo";

/** Problems of the form: per field, and per row of hours (by index). */
export type ScheduleProblems = {
  fields: Partial<Record<ScheduleField, MessageKey>>;
  rows: Record<number, MessageKey>;
};

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** What is wrong with the form before asking the service (nothing: empty maps). */
export function checkSchedule(form: ScheduleForm): ScheduleProblems {
  const fields: ScheduleProblems["fields"] = {};
  const rows: ScheduleProblems["rows"] = {};
  if (form.rows.length === 0) fields.rows = "scheduling.check.noHours";
  form.rows.forEach((row, i) => {
    if (!HHMM.test(row.start) || !HHMM.test(row.end)) rows[i] = "scheduling.check.time";
    else if (row.end <= row.start) rows[i] = "scheduling.check.endBeforeStart";
  });
  const wellFormed = form.rows.map((_, i) => rows[i] === undefined);
  form.rows.forEach((row, i) => {
    if (!wellFormed[i]) return;
    const clash = form.rows.some(
      (other, j) =>
        j !== i && wellFormed[j] && other.weekday === row.weekday && other.start < row.end && row.start < other.end,
    );
    if (clash) rows[i] = "scheduling.check.overlap";
  });
  const minutes = Number(form.slotMinutes);
  if (!Number.isInteger(minutes) || minutes < 5 || minutes > 480) fields.slotMinutes = "scheduling.check.slotMinutes";
  if (!form.timezone.trim()) fields.timezone = "scheduling.check.timezone";
  if (!DAY.test(form.validFrom)) fields.validFrom = "scheduling.check.validFrom";
  if (form.validTo && (!DAY.test(form.validTo) || form.validTo < form.validFrom)) fields.validTo = "scheduling.check.validTo";
  return { fields, rows };
}

export function hasProblems(p: ScheduleProblems): boolean {
  return Object.keys(p.fields).length > 0 || Object.keys(p.rows).length > 0;
}

/** The body of POST /schedules for a practitioner. */
export function scheduleBody(practitioner: string, form: ScheduleForm): components["schemas"]["ScheduleCreate"] {
  return {
    practitioner,
    timezone: form.timezone.trim(),
    slot_minutes: Number(form.slotMinutes),
    weekly_hours: form.rows.map((r) => ({ weekday: r.weekday, start: r.start, end: r.end })),
    valid_from: form.validFrom,
    valid_to: form.validTo || null,
  };
}

/**
 * Where the service's refusal of a schedule belongs: the field a validation error names
 * (`body.slot_minutes`), the hours for an overlap, else the form as a whole.
 */
export function refusalField(problem: unknown): ScheduleField | "form" {
  if (typeof problem !== "object" || problem === null) return "form";
  const p = problem as Record<string, unknown>;
  const errors = Array.isArray(p["errors"]) ? (p["errors"] as unknown[]) : [];
  const byName: Record<string, ScheduleField> = {
    weekly_hours: "rows",
    slot_minutes: "slotMinutes",
    timezone: "timezone",
    valid_from: "validFrom",
    valid_to: "validTo",
  };
  for (const e of errors) {
    const loc = typeof e === "object" && e !== null ? (e as Record<string, unknown>)["loc"] : undefined;
    if (Array.isArray(loc)) {
      for (const part of loc) {
        const field = byName[String(part)];
        if (field) return field;
      }
    }
  }
  const detail = typeof p["detail"] === "string" ? p["detail"].toLowerCase() : "";
  if (/overlap|hours|weekday/.test(detail)) return "rows";
  if (/time zone|timezone/.test(detail)) return "timezone";
  if (/valid/.test(detail)) return "validFrom";
  return "form";
}
