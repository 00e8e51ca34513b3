// The auditor's search of the access log: the filters a person types, checked and turned
// into the query GET /api/v1/audit/entries takes (`patient`, `accessor`, `purpose`,
// `outcome`, the time range [`since`, `until`), paging). Pure.

import { normaliseUhid } from "./format";

export type AuditOutcome = "granted" | "denied";
export type AuditPurpose = "treatment" | "claim" | "research" | "emergency";

/** The purposes the service knows, in the order the form offers them. */
export const PURPOSES: readonly AuditPurpose[] = ["treatment", "claim", "research", "emergency"];

/** What the search form holds, as typed. `from` and `to` are values of <input type="datetime-local">:
 * a wall time in the person's own time zone, without an offset. */
export type AuditFilters = {
  patient: string;
  accessor: string;
  outcome: "" | AuditOutcome;
  purpose: "" | AuditPurpose;
  from: string;
  to: string;
};

export const NO_FILTERS: AuditFilters = { patient: "", accessor: "", outcome: "", purpose: "", from: "", to: "" };

/** The query of GET /api/v1/audit/entries, without paging. `since` and `until` carry an offset. */
export type AuditQuery = {
  patient?: string;
  accessor?: string;
  outcome?: AuditOutcome;
  purpose?: AuditPurpose;
  since?: string;
  until?: string;
};

export type FilterProblem =
  | { field: "patient" | "accessor"; problem: "not-a-uhid" }
  | { field: "from" | "to"; problem: "not-a-time" }
  | { field: "to"; problem: "not-after-from" };

export type FilterField = FilterProblem["field"];

/** A known purpose, or "" for anything else (what a <select> gives back is a plain string). */
export function asPurpose(value: string): "" | AuditPurpose {
  return (PURPOSES as readonly string[]).includes(value) ? (value as AuditPurpose) : "";
}

// What <input type="datetime-local"> gives: a date and a wall time, seconds optional, no offset.
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?$/;

/** The instant a datetime-local value names in the browser's time zone, or null when it names
 * none. `new Date` reads a date-time without an offset as local time (ECMAScript's rule). */
export function localInstant(value: string): Date | null {
  if (!LOCAL_TIME.test(value)) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** The query for the filters, or every field that is wrong (each shown next to its field). The
 * service refuses a time without an offset, so local times are sent as UTC instants ("…Z"). */
export function auditQuery(
  filters: AuditFilters,
): { ok: true; query: AuditQuery } | { ok: false; problems: FilterProblem[] } {
  const query: AuditQuery = {};
  const problems: FilterProblem[] = [];
  for (const field of ["patient", "accessor"] as const) {
    const typed = filters[field].trim();
    if (!typed) continue;
    const uhid = normaliseUhid(typed);
    if (uhid === null) problems.push({ field, problem: "not-a-uhid" });
    else query[field] = uhid;
  }
  if (filters.purpose) query.purpose = filters.purpose;
  if (filters.outcome) query.outcome = filters.outcome;

  const from = filters.from.trim() ? localInstant(filters.from.trim()) : null;
  const to = filters.to.trim() ? localInstant(filters.to.trim()) : null;
  if (filters.from.trim() && from === null) problems.push({ field: "from", problem: "not-a-time" });
  if (filters.to.trim() && to === null) problems.push({ field: "to", problem: "not-a-time" });
  // The range is [from, to): a `to` at or before `from` would match nothing, and the service says 422.
  if (from && to && to.getTime() <= from.getTime()) problems.push({ field: "to", problem: "not-after-from" });
  if (from) query.since = from.toISOString();
  if (to) query.until = to.toISOString();

  return problems.length ? { ok: false, problems } : { ok: true, query };
}

/** A stable key of a query: a new search (another key) starts the paged list over. */
export function queryKey(query: AuditQuery): string {
  return JSON.stringify([
    query.patient ?? null,
    query.accessor ?? null,
    query.purpose ?? null,
    query.outcome ?? null,
    query.since ?? null,
    query.until ?? null,
  ]);
}

/** Date and time of an entry, in `timeZone` (the browser's by default), with its zone's name. */
export function entryTime(at: string, locale: string, timeZone?: string): string {
  const hasOffset = /(?:[zZ]|[+-]\d{2}:?\d{2})$/.test(at.trim());
  const d = new Date(hasOffset ? at : `${at}Z`);
  if (Number.isNaN(d.getTime())) return at;
  const options: Intl.DateTimeFormatOptions = {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short",
  };
  if (timeZone) options.timeZone = timeZone;
  return new Intl.DateTimeFormat(locale, options).format(d);
}

/** A searched-for bound (`since`/`until`) to the minute, in `timeZone` (the browser's by default). */
export function boundTime(at: string, locale: string, timeZone?: string): string {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return at;
  const options: Intl.DateTimeFormatOptions = { dateStyle: "medium", timeStyle: "short", hourCycle: "h23" };
  if (timeZone) options.timeZone = timeZone;
  return new Intl.DateTimeFormat(locale, options).format(d);
}
