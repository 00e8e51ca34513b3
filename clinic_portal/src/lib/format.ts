// Pure wording helpers: how the API's codes read to a person, in the language of the moment
// (src/i18n). No DOM, no network.

import { locale, t, type MessageKey } from "../i18n";
import { catalog } from "../i18n/catalog";

/** Whether the catalogue has a message for `key` (codes from the API are open-ended). */
function hasMessage(key: string): key is MessageKey {
  return Object.hasOwn(catalog.en, key);
}

/** A UHID as people read it: 14 digits shown as NN-NNNN-NNNN-NNNN (as the API's `uhid_display`). */
export function formatUhid(uhid: string): string {
  const digits = uhid.replace(/[\s-]/g, "");
  if (!/^\d{14}$/.test(digits)) return uhid.trim();
  return `${digits.slice(0, 2)}-${digits.slice(2, 6)}-${digits.slice(6, 10)}-${digits.slice(10)}`;
}

/** The 14 digits of a UHID typed with or without spaces and dashes, or null when it is not 14 digits. */
export function normaliseUhid(typed: string): string | null {
  const digits = typed.replace(/[\s-]/g, "");
  return /^\d{14}$/.test(digits) ? digits : null;
}

/** "some_code-name" -> "Some code name": the fallback for codes this portal does not know yet. */
export function humanise(code: string): string {
  const words = code.replace(/[_\-.:]+/g, " ").trim().toLowerCase();
  if (!words) return t("format.unknown");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The message `${prefix}${code}` when the catalogue has it, else undefined. */
function known(prefix: string, code: string): string | undefined {
  const key = `${prefix}${code}`;
  return hasMessage(key) ? t(key) : undefined;
}

export function roleInWords(role: string): string {
  return known("format.role.", role) ?? humanise(role);
}

/** Roles in words, in the order given, without repeats: "Physician, Nurse". */
export function rolesInWords(roles: readonly string[]): string {
  const words = [...new Set(roles.map(roleInWords))];
  return words.length ? words.join(t("format.listSeparator")) : t("format.noRole");
}

// Record categories as the API files them (api/consent/catalog.py) and, for the
// catch-all `document` and a few others, the FHIR resource type decides the wording.
const TYPE_WORDS: Record<string, Record<string, MessageKey>> = {
  lab: { DiagnosticReport: "format.type.labReport", Specimen: "format.type.labSample" },
  imaging: { DiagnosticReport: "format.type.imagingReport", ImagingStudy: "format.type.imagingStudy" },
  medication: { MedicationRequest: "format.type.prescription" },
  immunization: { ImmunizationRecommendation: "format.type.immunisationPlan" },
  encounter: { EpisodeOfCare: "format.type.episodeOfCare" },
  document: {
    DocumentReference: "format.type.document",
    Composition: "format.type.note",
    Patient: "format.type.personalDetails",
    Observation: "format.type.observation",
    CarePlan: "format.type.carePlan",
    FamilyMemberHistory: "format.type.familyHistory",
  },
};

/** What a record is, in words, from its `category` and FHIR `resource_type`. */
export function categoryInWords(category: string, resourceType?: string): string {
  const byType = resourceType ? TYPE_WORDS[category]?.[resourceType] : undefined;
  if (byType) return t(byType);
  return known("format.category.", category) ?? humanise(category);
}

/** "All lab results", "All records": a whole category (or `all`) in words. */
function wholeCategory(name: string): string {
  return known("format.all.", name) ?? t("format.all.other", { name: humanise(name).toLowerCase() });
}

/** A consent's scope in words: `category:lab` -> "All lab results", `record:<id>` -> "One record". */
export function scopeInWords(scope: string): string {
  const at = scope.indexOf(":");
  const kind = at < 0 ? scope : scope.slice(0, at);
  const name = at < 0 ? "" : scope.slice(at + 1);
  if (kind === "record") return t("format.oneRecord");
  if (kind === "category") return wholeCategory(name);
  return humanise(scope);
}

export function purposeInWords(purpose: string): string {
  return known("format.purpose.", purpose) ?? humanise(purpose);
}

export type ConsentTone = "pending" | "active" | "revoked" | "expired" | "other";

const STATUS_TONES: Record<string, ConsentTone> = {
  pending: "pending",
  active: "active",
  revoked: "revoked",
  expired: "expired",
  rejected: "revoked",
};

/** A consent status as a badge: its words and a tone (the CSS class). */
export function consentStatusBadge(status: string): { label: string; tone: ConsentTone } {
  const tone = STATUS_TONES[status];
  if (!tone) return { label: humanise(status), tone: "other" };
  return { label: known("format.status.", status) ?? humanise(status), tone };
}

/** The access log's action in words, around what it was done to: "Opened a record". */
function actionWith(action: string, what: string): string {
  const key = `format.action.${action}`;
  return hasMessage(key) ? t(key, { what }) : t("format.action.other", { action: humanise(action), what });
}

/** The access log's action in words ("Opened", "Searched", ...). */
export function actionInWords(action: string): string {
  return actionWith(action, "").replace(/[\s:]+$/, "").trim();
}

/**
 * What an access log entry names (`record:<id>`, `category:lab`, `search:all`, ...) in words.
 * `describeRecord` may name a record the page knows (e.g. "Lab result of 3 Mar 2025").
 */
export function accessTargetInWords(
  target: string,
  describeRecord?: (id: string) => string | undefined,
): string {
  const at = target.indexOf(":");
  const kind = at < 0 ? target : target.slice(0, at);
  const name = at < 0 ? "" : target.slice(at + 1);
  switch (kind) {
    case "record":
      return describeRecord?.(name) ?? t("format.aRecord");
    case "category":
    case "search":
      return name === "all" || name === "" ? t("format.all.all") : wholeCategory(name);
    default:
      return humanise(target);
  }
}

export function outcomeInWords(outcome: string): string {
  return known("format.outcome.", outcome) ?? humanise(outcome);
}

export function notificationKindInWords(kind: string): string {
  return known("format.notification.", kind) ?? humanise(kind);
}

/** A sentence: first letter capitalised, ending with a full stop (the API writes lower-case phrases). */
export function asSentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return trimmed;
  const first = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  // Devanagari's full stop (।) ends a sentence too.
  return /[.!?।]$/.test(first) ? first : `${first}.`;
}

/** Words for an HTTP status the portal knows, else undefined. */
function statusWords(status: number): string | undefined {
  return known("format.http.", String(status));
}

/**
 * The plain-language message of an RFC 9457 problem (`{title, status, detail}`): its
 * `detail` as a sentence, else the first field error, else words for its status.
 * Accepts anything (a parsed body, a string, undefined) and never throws.
 */
export function problemDetail(problem: unknown, status?: number): string {
  if (typeof problem === "object" && problem !== null) {
    const p = problem as Record<string, unknown>;
    if (typeof p["detail"] === "string" && p["detail"].trim()) return asSentence(p["detail"]);
    const errors = p["errors"];
    if (Array.isArray(errors)) {
      for (const e of errors as unknown[]) {
        if (typeof e === "object" && e !== null) {
          const msg = (e as Record<string, unknown>)["msg"] ?? (e as Record<string, unknown>)["message"];
          if (typeof msg === "string" && msg.trim()) return asSentence(msg);
        }
      }
    }
    const code = typeof p["status"] === "number" ? p["status"] : status;
    const words = code === undefined ? undefined : statusWords(code);
    if (words) return words;
    if (typeof p["title"] === "string" && p["title"].trim()) return asSentence(p["title"]);
  }
  if (status !== undefined) {
    const words = statusWords(status) ?? (status >= 500 ? statusWords(500) : undefined);
    if (words) return words;
  }
  return t("format.somethingWrong");
}

/** An ISO date-time from the API as a Date; a time without an offset is taken as UTC. */
export function parseApiDate(value: string): Date | null {
  const v = value.trim();
  const hasTime = v.includes("T");
  const hasOffset = /(?:[zZ]|[+-]\d{2}:?\d{2})$/.test(v);
  const d = new Date(hasTime && !hasOffset ? `${v}Z` : v);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "3 Mar 2025" (the day in `timeZone`, the browser's by default). */
export function formatDate(value: string | null | undefined, timeZone?: string): string {
  if (!value) return t("format.noDate");
  const d = parseApiDate(value);
  if (!d) return t("format.unknownDate");
  const opts: Intl.DateTimeFormatOptions = { day: "numeric", month: "short", year: "numeric" };
  if (timeZone) opts.timeZone = timeZone;
  return new Intl.DateTimeFormat(locale(), opts).format(d);
}

/** "3 Mar 2025, 14:05" (24-hour clock, in `timeZone`, the browser's by default). */
export function formatDateTime(value: string | null | undefined, timeZone?: string): string {
  if (!value) return t("format.noDate");
  const d = parseApiDate(value);
  if (!d) return t("format.unknownDate");
  const opts: Intl.DateTimeFormatOptions = {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  };
  if (timeZone) opts.timeZone = timeZone;
  return new Intl.DateTimeFormat(locale(), opts).format(d);
}

/** Newest first by an ISO timestamp field; a copy, the input is left as it was. */
export function newestFirst<T>(items: readonly T[], at: (item: T) => string): T[] {
  const time = (item: T) => parseApiDate(at(item))?.getTime() ?? 0;
  return [...items].sort((a, b) => time(b) - time(a));
}

/** Why the access log let an access in (or not), in words. */
export function basisInWords(basis: string): string {
  return known("format.basis.", basis) ?? humanise(basis);
}

/** One access log entry's "what": "Searched all lab results", "Opened a record". */
export function accessWhat(
  action: string,
  target: string,
  describeRecord?: (id: string) => string | undefined,
): string {
  const at = target.indexOf(":");
  if (action === "write" && at >= 0 && target.slice(0, at) === "category") {
    return t("format.addedRecord", { category: categoryInWords(target.slice(at + 1)) });
  }
  const thing = accessTargetInWords(target, describeRecord);
  // Mid-sentence in English: "Opened a record" (scripts without case are left as they are).
  const lowered = /^[A-Z](?![A-Z])/.test(thing) ? thing.charAt(0).toLowerCase() + thing.slice(1) : thing;
  return actionWith(action, lowered);
}

/**
 * The field errors of a validation problem (`errors: [{loc, msg}]`) in words, one per error:
 * "body.code: Field required." ([] when there are none).
 */
export function problemFieldErrors(problem: unknown): string[] {
  if (typeof problem !== "object" || problem === null) return [];
  const errors = (problem as Record<string, unknown>)["errors"];
  if (!Array.isArray(errors)) return [];
  const lines: string[] = [];
  for (const e of errors as unknown[]) {
    if (typeof e !== "object" || e === null) continue;
    const err = e as Record<string, unknown>;
    const msg = err["msg"] ?? err["message"];
    if (typeof msg !== "string" || !msg.trim()) continue;
    const loc = Array.isArray(err["loc"]) ? (err["loc"] as unknown[]).map(String).join(".") : "";
    lines.push(loc ? `${loc}: ${asSentence(msg)}` : asSentence(msg));
  }
  return lines;
}
