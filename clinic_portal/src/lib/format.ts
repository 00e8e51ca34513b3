// Pure wording helpers: how the API's codes read to a person. No DOM, no network.

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
  if (!words) return "Unknown";
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const ROLE_WORDS: Record<string, string> = {
  patient: "Patient",
  physician: "Physician",
  nurse: "Nurse",
  lab_technician: "Lab technician",
  radiologist: "Radiologist",
  pharmacist: "Pharmacist",
  drug_vendor: "Drug vendor",
  helpdesk: "Help desk",
  org_admin: "Organisation administrator",
  insurer: "Insurer",
  auditor: "Auditor",
  platform_auditor: "Platform auditor",
  system_admin: "System administrator",
};

export function roleInWords(role: string): string {
  return ROLE_WORDS[role] ?? humanise(role);
}

/** Roles in words, in the order given, without repeats: "Physician, Nurse". */
export function rolesInWords(roles: readonly string[]): string {
  const words = [...new Set(roles.map(roleInWords))];
  return words.length ? words.join(", ") : "No role";
}

// Record categories as the API files them (api/consent/catalog.py) and, for the
// catch-all `document` and a few others, the FHIR resource type decides the wording.
const CATEGORY_WORDS: Record<string, string> = {
  encounter: "Visit",
  condition: "Condition",
  allergy: "Allergy",
  medication: "Medication",
  lab: "Lab result",
  imaging: "Imaging",
  immunization: "Immunisation",
  procedure: "Procedure",
  vital_signs: "Vital signs",
  document: "Note",
};

const TYPE_WORDS: Record<string, Record<string, string>> = {
  lab: { DiagnosticReport: "Lab report", Specimen: "Lab sample" },
  imaging: { DiagnosticReport: "Imaging report", ImagingStudy: "Imaging study" },
  medication: { MedicationRequest: "Prescription" },
  immunization: { ImmunizationRecommendation: "Immunisation plan" },
  encounter: { EpisodeOfCare: "Episode of care" },
  document: {
    DocumentReference: "Document",
    Composition: "Note",
    Patient: "Personal details",
    Observation: "Observation",
    CarePlan: "Care plan",
    FamilyMemberHistory: "Family history",
  },
};

/** What a record is, in words, from its `category` and FHIR `resource_type`. */
export function categoryInWords(category: string, resourceType?: string): string {
  const byType = resourceType ? TYPE_WORDS[category]?.[resourceType] : undefined;
  return byType ?? CATEGORY_WORDS[category] ?? humanise(category);
}

const CATEGORY_PLURALS: Record<string, string> = {
  all: "All records",
  encounter: "All visits",
  condition: "All conditions",
  allergy: "All allergies",
  medication: "All medications",
  lab: "All lab results",
  imaging: "All imaging",
  immunization: "All immunisations",
  procedure: "All procedures",
  vital_signs: "All vital signs",
  document: "All notes and documents",
};

/** A consent's scope in words: `category:lab` -> "All lab results", `record:<id>` -> "One record". */
export function scopeInWords(scope: string): string {
  const at = scope.indexOf(":");
  const kind = at < 0 ? scope : scope.slice(0, at);
  const name = at < 0 ? "" : scope.slice(at + 1);
  if (kind === "record") return "One record";
  if (kind === "category") return CATEGORY_PLURALS[name] ?? `All ${humanise(name).toLowerCase()} records`;
  return humanise(scope);
}

const PURPOSE_WORDS: Record<string, string> = {
  treatment: "Treatment",
  claim: "Insurance claim",
  research: "Research",
  emergency: "Emergency",
};

export function purposeInWords(purpose: string): string {
  return PURPOSE_WORDS[purpose] ?? humanise(purpose);
}

export type ConsentTone = "pending" | "active" | "revoked" | "expired" | "other";

/** A consent status as a badge: its words and a tone (the CSS class). */
export function consentStatusBadge(status: string): { label: string; tone: ConsentTone } {
  switch (status) {
    case "pending":
      return { label: "Pending", tone: "pending" };
    case "active":
      return { label: "Active", tone: "active" };
    case "revoked":
      return { label: "Revoked", tone: "revoked" };
    case "expired":
      return { label: "Expired", tone: "expired" };
    case "rejected":
      return { label: "Not accepted", tone: "revoked" };
    default:
      return { label: humanise(status), tone: "other" };
  }
}

const ACTION_WORDS: Record<string, string> = {
  read: "Opened",
  write: "Wrote",
  search: "Searched",
  check: "Checked access to",
  "break-glass": "Emergency access to",
  pull: "Retrieved",
  download: "Downloaded",
  preview: "Previewed",
  deidentified: "Made an anonymised copy of",
};

/** The access log's action in words ("Opened", "Searched", ...). */
export function actionInWords(action: string): string {
  return ACTION_WORDS[action] ?? humanise(action);
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
      return describeRecord?.(name) ?? "A record";
    case "category":
    case "search":
      return name === "all" || name === ""
        ? "All records"
        : (CATEGORY_PLURALS[name] ?? `All ${humanise(name).toLowerCase()} records`);
    default:
      return humanise(target);
  }
}

export function outcomeInWords(outcome: string): string {
  if (outcome === "granted") return "Granted";
  if (outcome === "denied") return "Denied";
  return humanise(outcome);
}

const NOTIFICATION_WORDS: Record<string, string> = {
  break_glass: "Emergency access",
};

export function notificationKindInWords(kind: string): string {
  return NOTIFICATION_WORDS[kind] ?? humanise(kind);
}

/** A sentence: first letter capitalised, ending with a full stop (the API writes lower-case phrases). */
export function asSentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

const STATUS_WORDS: Record<number, string> = {
  0: "Could not reach the service. Check your connection and try again.",
  400: "The request was not accepted.",
  401: "You need to sign in again.",
  403: "You do not have access to this.",
  404: "Nothing was found.",
  409: "This cannot be done right now.",
  413: "That is too large to send.",
  422: "Some details are not valid.",
  429: "Too many attempts. Please wait a moment and try again.",
  500: "Something went wrong on our side. Please try again.",
  502: "A service we depend on did not answer. Please try again.",
  503: "The service is busy or unavailable. Please try again shortly.",
};

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
    if (code !== undefined && STATUS_WORDS[code]) return STATUS_WORDS[code];
    if (typeof p["title"] === "string" && p["title"].trim()) return asSentence(p["title"]);
  }
  if (status !== undefined) {
    const words = STATUS_WORDS[status] ?? (status >= 500 ? STATUS_WORDS[500] : undefined);
    if (words) return words;
  }
  return "Something went wrong. Please try again.";
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
  if (!value) return "No date";
  const d = parseApiDate(value);
  if (!d) return "Unknown date";
  const opts: Intl.DateTimeFormatOptions = { day: "numeric", month: "short", year: "numeric" };
  if (timeZone) opts.timeZone = timeZone;
  return new Intl.DateTimeFormat("en-GB", opts).format(d);
}

/** "3 Mar 2025, 14:05" (24-hour clock, in `timeZone`, the browser's by default). */
export function formatDateTime(value: string | null | undefined, timeZone?: string): string {
  if (!value) return "No date";
  const d = parseApiDate(value);
  if (!d) return "Unknown date";
  const opts: Intl.DateTimeFormatOptions = {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  };
  if (timeZone) opts.timeZone = timeZone;
  return new Intl.DateTimeFormat("en-GB", opts).format(d);
}

/** Newest first by an ISO timestamp field; a copy, the input is left as it was. */
export function newestFirst<T>(items: readonly T[], at: (item: T) => string): T[] {
  const time = (item: T) => parseApiDate(at(item))?.getTime() ?? 0;
  return [...items].sort((a, b) => time(b) - time(a));
}

const BASIS_WORDS: Record<string, string> = {
  owner: "Your own access",
  grant: "Under a consent you gave",
  break_glass: "Emergency access without consent",
  author: "Their organisation made the record",
  none: "No consent covers it",
  no_kfrags: "Consent given, but not yet usable",
  encounter: "Treating you during a visit",
  order: "Carrying out an order for you",
};

/** Why the access log let an access in (or not), in words. */
export function basisInWords(basis: string): string {
  return BASIS_WORDS[basis] ?? humanise(basis);
}

/** One access log entry's "what": "Searched all lab results", "Opened a record". */
export function accessWhat(
  action: string,
  target: string,
  describeRecord?: (id: string) => string | undefined,
): string {
  const at = target.indexOf(":");
  if (action === "write" && at >= 0 && target.slice(0, at) === "category") {
    return `Added a record (${categoryInWords(target.slice(at + 1))})`;
  }
  const thing = accessTargetInWords(target, describeRecord);
  const lowered = /^[A-Z](?![A-Z])/.test(thing) ? thing.charAt(0).toLowerCase() + thing.slice(1) : thing;
  return `${actionInWords(action)} ${lowered}`;
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
