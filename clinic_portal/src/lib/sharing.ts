// Sharing records (consent grants and revocations): the choices in words, the plain-language
// summary of what the patient signs, and the typed data the server makes, prepared for the
// wallet. Pure: no DOM, no network, no wallet library.

import type { SignableTypedData } from "./signers";

/** The categories a grant can cover (api/consent/catalog.py RECORD_CATEGORIES), in the order offered. */
export const SHARE_CATEGORIES = [
  { scope: "category:all", label: "All records", phrase: "all your records" },
  { scope: "category:lab", label: "Lab results", phrase: "your lab results" },
  { scope: "category:imaging", label: "Imaging", phrase: "your imaging" },
  { scope: "category:allergy", label: "Allergies", phrase: "your allergies" },
  { scope: "category:condition", label: "Conditions", phrase: "your conditions" },
  { scope: "category:medication", label: "Medications", phrase: "your medications" },
  { scope: "category:immunization", label: "Immunisations", phrase: "your immunisations" },
  { scope: "category:procedure", label: "Procedures", phrase: "your procedures" },
  { scope: "category:vital_signs", label: "Vital signs", phrase: "your vital signs" },
  { scope: "category:encounter", label: "Visits", phrase: "your visits" },
  { scope: "category:document", label: "Notes and documents", phrase: "your notes and documents" },
] as const;

/** The purposes a patient grants for (api/consent/catalog.py; `emergency` is break-glass, not offered). */
export const SHARE_PURPOSES = [
  { purpose: "treatment", label: "Treatment", phrase: "for treatment" },
  { purpose: "claim", label: "Insurance claim", phrase: "for an insurance claim" },
  { purpose: "research", label: "Research", phrase: "for research" },
] as const;

export type SharePurpose = (typeof SHARE_PURPOSES)[number]["purpose"];

const KIND_WORDS: Record<string, string> = {
  hospital: "Hospital",
  clinic: "Clinic",
  lab: "Laboratory",
  radiology: "Radiology centre",
  pharmacy: "Pharmacy",
  insurer: "Insurer",
  drug_vendor: "Drug vendor",
};

/** An organisation's kind in words ("lab" -> "Laboratory"). */
export function organisationKindInWords(kind: string): string {
  if (KIND_WORDS[kind]) return KIND_WORDS[kind];
  const words = kind.replace(/[_\-.:]+/g, " ").trim().toLowerCase();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : "Organisation";
}

/** What a scope covers, as part of a sentence: `category:lab` -> "your lab results". */
export function scopePhrase(scope: string): string {
  const known = SHARE_CATEGORIES.find((c) => c.scope === scope);
  if (known) return known.phrase;
  if (scope.startsWith("record:")) return "one of your records";
  const name = scope.slice(scope.indexOf(":") + 1).replace(/[_-]+/g, " ");
  return `your ${name} records`;
}

/** Why, as part of a sentence: `claim` -> "for an insurance claim". */
export function purposePhrase(purpose: string): string {
  return SHARE_PURPOSES.find((p) => p.purpose === purpose)?.phrase ?? `for ${purpose.replace(/_/g, " ")}`;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A date input's value ("2027-11-30") as people read it ("30 Nov 2027"), or null when it is not a date. */
export function dayInWords(day: string): string | null {
  const m = DAY.exec(day);
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  if (d.getUTCMonth() !== Number(m[2]) - 1) return null;
  return new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" }).format(d);
}

/** Local midnight (start) or the last second (end) of a date input's day, or null. */
export function dayBoundary(day: string, edge: "start" | "end"): Date | null {
  const m = DAY.exec(day);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]) - 1;
  const d = Number(m[3]);
  const date = edge === "start" ? new Date(y, mo, d, 0, 0, 0) : new Date(y, mo, d, 23, 59, 59);
  if (date.getMonth() !== mo || date.getDate() !== d) return null;
  return date;
}

/** A local date as a date input's value: "2027-11-30". */
export function dayOf(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The default "Until": the same day one year from `now`. */
export function defaultUntil(now: Date = new Date()): string {
  const next = new Date(now.getFullYear() + 1, now.getMonth(), now.getDate());
  return dayOf(next);
}

export type ShareChoice = {
  granteeName: string;
  /** Whether the grantee published an encryption key (then key fragments are made for it). */
  granteeHasKey: boolean;
  scope: string;
  purpose: string;
  /** Date input values ("YYYY-MM-DD"); `from`/`to` may be "". */
  until: string;
  from: string;
  to: string;
};

/**
 * What the patient is about to sign, in plain words: "Precision Diagnostics Lab may read your
 * lab results for treatment until 30 Nov 2027. Their key will be able to open these records."
 */
export function shareSummary(choice: ShareChoice): string {
  const until = dayInWords(choice.until) ?? "the date you choose";
  const sentences = [
    `${choice.granteeName} may read ${scopePhrase(choice.scope)} ${purposePhrase(choice.purpose)} until ${until}.`,
  ];
  const from = choice.from ? dayInWords(choice.from) : null;
  const to = choice.to ? dayInWords(choice.to) : null;
  if (from && to) sentences.push(`Only records dated from ${from} to ${to}.`);
  else if (from) sentences.push(`Only records dated from ${from} on.`);
  else if (to) sentences.push(`Only records dated up to ${to}.`);
  sentences.push(
    choice.granteeHasKey
      ? "Their key will be able to open these records."
      : "They have not published an encryption key, so they will not be able to open your encrypted records.",
  );
  return sentences.join(" ");
}

/** Why the form cannot be signed yet, or "" when it can. */
export function shareProblem(choice: Omit<ShareChoice, "granteeName" | "granteeHasKey"> & { grantee: string }, now: Date = new Date()): string {
  if (!choice.grantee) return "Choose who to share with.";
  const until = dayBoundary(choice.until, "end");
  if (!until) return "Choose until when they may read your records.";
  if (until.getTime() <= now.getTime()) return "The end date must be in the future.";
  const from = choice.from ? dayBoundary(choice.from, "start") : null;
  const to = choice.to ? dayBoundary(choice.to, "end") : null;
  if (choice.from && !from) return "The start of the records period is not a date.";
  if (choice.to && !to) return "The end of the records period is not a date.";
  if (from && to && from.getTime() > to.getTime()) return "The records period starts after it ends.";
  return "";
}

/** The server's typed data (POST .../typed-data), as JSON gives it. */
export type ServerTypedData = {
  domain: Record<string, unknown>;
  types: Record<string, unknown>;
  primaryType: string;
  message: Record<string, unknown>;
  [key: string]: unknown;
};

type Field = { name: string; type: string };

function fieldsOf(types: Record<string, unknown>, name: string): Field[] | null {
  const fields = types[name];
  if (!Array.isArray(fields)) return null;
  const out: Field[] = [];
  for (const f of fields as unknown[]) {
    if (typeof f !== "object" || f === null) return null;
    const { name: n, type: t } = f as Record<string, unknown>;
    if (typeof n !== "string" || typeof t !== "string") return null;
    out.push({ name: n, type: t });
  }
  return out;
}

function asBigInt(value: unknown): unknown {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^(0x[0-9a-fA-F]+|-?\d+)$/.test(value)) return BigInt(value);
  return value;
}

function encodeStruct(types: Record<string, unknown>, name: string, value: Record<string, unknown>): Record<string, unknown> {
  const fields = fieldsOf(types, name) ?? [];
  const out: Record<string, unknown> = { ...value };
  for (const f of fields) {
    const v = value[f.name];
    if (/^u?int\d*$/.test(f.type)) out[f.name] = asBigInt(v);
    else if (fieldsOf(types, f.type) && typeof v === "object" && v !== null && !Array.isArray(v))
      out[f.name] = encodeStruct(types, f.type, v as Record<string, unknown>);
  }
  return out;
}

/**
 * The server's typed data as the wallet signs it, unchanged but for integers as bigint
 * (viem's uint types), `EIP712Domain` kept in `types` (TOOLCHAIN.md §9, gotcha 6). The digest is
 * the same as the server's (eth-account) for the very object submitted back.
 */
export function signableTypedData(typed: ServerTypedData): SignableTypedData {
  const types: SignableTypedData["types"] = {};
  for (const name of Object.keys(typed.types)) {
    const fields = fieldsOf(typed.types, name);
    if (!fields) throw new Error(`typed data type ${name} is malformed`);
    types[name] = fields;
  }
  if (!types[typed.primaryType]) throw new Error("typed data lacks its primary type");
  return {
    domain: encodeStruct(typed.types, "EIP712Domain", typed.domain),
    types,
    primaryType: typed.primaryType,
    message: encodeStruct(typed.types, typed.primaryType, typed.message),
  };
}

/**
 * Refuse typed data that is not what the patient asked to sign: another kind of message, or
 * one whose patient is not this wallet (the server would refuse its signature). "" when fine.
 */
export function typedDataProblem(typed: ServerTypedData, primaryType: "Grant" | "Revoke", walletAddress: string): string {
  if (typed.primaryType !== primaryType) return "The service sent something other than what you asked to sign.";
  const patient = typed.message["patient"];
  if (typeof patient !== "string" || patient.toLowerCase() !== walletAddress.toLowerCase())
    return "This wallet is not the one linked to your account. Unlock the wallet of this account.";
  return "";
}

export const SHARED_MESSAGE = "Shared. It takes effect once recorded on the chain.";
export const REVOKED_MESSAGE = "Revoked. Access is refused from now on; the chain records it shortly.";
export const PENDING_WORDS = "Pending (being recorded on the chain)";
