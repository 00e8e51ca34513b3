// Sharing records (consent grants and revocations): the choices in words, the plain-language
// summary of what the patient signs, and the typed data the server makes, prepared for the
// wallet. Pure: no DOM, no network, no wallet library.

import { locale, t, type MessageKey } from "../i18n";
import { formatUhid } from "./format";
import type { SignableTypedData } from "./signers";

/** The categories a grant can cover (api/consent/catalog.py RECORD_CATEGORIES), in the order offered. */
export const SHARE_CATEGORIES = [
  { scope: "category:all", name: "all" },
  { scope: "category:lab", name: "lab" },
  { scope: "category:imaging", name: "imaging" },
  { scope: "category:allergy", name: "allergy" },
  { scope: "category:condition", name: "condition" },
  { scope: "category:medication", name: "medication" },
  { scope: "category:immunization", name: "immunization" },
  { scope: "category:procedure", name: "procedure" },
  { scope: "category:vital_signs", name: "vital_signs" },
  { scope: "category:encounter", name: "encounter" },
  { scope: "category:document", name: "document" },
] as const;

type ShareCategory = (typeof SHARE_CATEGORIES)[number]["name"];

/** A category as the "What" choice names it: "Lab results". */
export function shareCategoryLabel(name: ShareCategory): string {
  return t(`share.label.${name}`);
}

/** The purposes a patient grants for (api/consent/catalog.py; `emergency` is break-glass, not offered). */
export const SHARE_PURPOSES = [{ purpose: "treatment" }, { purpose: "claim" }, { purpose: "research" }] as const;

export type SharePurpose = (typeof SHARE_PURPOSES)[number]["purpose"];

/** A purpose as the "Purpose" choice names it: "Insurance claim". */
export function sharePurposeLabel(purpose: SharePurpose): string {
  return t(`share.purposeLabel.${purpose}`);
}

const ORGANISATION_KINDS = new Set(["hospital", "clinic", "lab", "radiology", "pharmacy", "insurer", "drug_vendor"]);

/** An organisation's kind in words ("lab" -> "Laboratory"). */
export function organisationKindInWords(kind: string): string {
  if (ORGANISATION_KINDS.has(kind)) return t(`share.kind.${kind}` as MessageKey);
  const words = kind.replace(/[_\-.:]+/g, " ").trim().toLowerCase();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : t("share.kind.other");
}

/** A single record's scope: the record and its later versions (the gate covers its lineage). */
export function recordScope(record: { lineage_id: string }): string {
  return `record:${record.lineage_id}`;
}

/**
 * What a scope covers, as part of a sentence: `category:lab` -> "your lab results";
 * `record:<id>` -> "one of your records", naming it when `recordName` is given.
 */
export function scopePhrase(scope: string, recordName?: string): string {
  const known = SHARE_CATEGORIES.find((c) => c.scope === scope);
  if (known) return t(`share.phrase.${known.name}`);
  if (scope.startsWith("record:"))
    return recordName ? t("share.phrase.thisRecord", { record: recordName }) : t("share.phrase.oneRecord");
  const name = scope.slice(scope.indexOf(":") + 1).replace(/[_-]+/g, " ");
  return t("share.phrase.other", { name });
}

/** Why, as part of a sentence: `claim` -> "for an insurance claim". */
export function purposePhrase(purpose: string): string {
  const known = SHARE_PURPOSES.find((p) => p.purpose === purpose);
  return known
    ? t(`share.purposePhrase.${known.purpose}`)
    : t("share.purposePhrase.other", { name: purpose.replace(/_/g, " ") });
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A date input's value ("2027-11-30") as people read it ("30 Nov 2027"), or null when it is not a date. */
export function dayInWords(day: string): string | null {
  const m = DAY.exec(day);
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  if (d.getUTCMonth() !== Number(m[2]) - 1) return null;
  return new Intl.DateTimeFormat(locale(), { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" }).format(d);
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
  /** An organisation's name, or for a person their UHID (they are named by it). */
  granteeName: string;
  granteeKind?: "organization" | "person";
  /** Whether the grantee published an encryption key (then key fragments are made for it). */
  granteeHasKey: boolean;
  scope: string;
  /** For a single record's scope: the record as people read it ("Lab result of 3 Mar 2025"). */
  recordName?: string | undefined;
  purpose: string;
  /** Date input values ("YYYY-MM-DD"); `from`/`to` may be "". */
  until: string;
  from: string;
  to: string;
};

/**
 * What the patient is about to sign, in plain words: "Precision Diagnostics Lab may read your
 * lab results for treatment until the end of 30 Nov 2027. Their key will be able to open these
 * records. Your wallet signs exactly this; ..." Every term of the typed data is in it: who,
 * which records (scope and period), why and until when.
 */
export function shareSummary(choice: ShareChoice): string {
  const until = dayInWords(choice.until) ?? t("share.summary.untilUnknown");
  const person = choice.granteeKind === "person";
  const who = person ? t("share.person", { uhid: formatUhid(choice.granteeName) }) : choice.granteeName;
  const sentences = [
    t("share.summary.main", {
      who,
      what: scopePhrase(choice.scope, choice.recordName),
      why: purposePhrase(choice.purpose),
      until,
    }),
  ];
  const from = choice.from ? dayInWords(choice.from) : null;
  const to = choice.to ? dayInWords(choice.to) : null;
  if (from && to) sentences.push(t("share.summary.fromTo", { from, to }));
  else if (from) sentences.push(t("share.summary.from", { from }));
  else if (to) sentences.push(t("share.summary.to", { to }));
  sentences.push(
    person ? t("share.summary.person") : choice.granteeHasKey ? t("share.summary.hasKey") : t("share.summary.noKey"),
  );
  sentences.push(t("share.summary.wallet"));
  return sentences.join(" ");
}

/** Why the form cannot be signed yet, or "" when it can. */
export function shareProblem(
  choice: Omit<ShareChoice, "granteeName" | "granteeHasKey"> & { grantee: string },
  now: Date = new Date(),
): string {
  if (!choice.grantee) return t("share.problem.chooseWho");
  if (choice.scope === "record:" || choice.scope === "") return t("share.problem.chooseRecord");
  const until = dayBoundary(choice.until, "end");
  if (!until) return t("share.problem.until");
  if (until.getTime() <= now.getTime()) return t("share.problem.future");
  const from = choice.from ? dayBoundary(choice.from, "start") : null;
  const to = choice.to ? dayBoundary(choice.to, "end") : null;
  if (choice.from && !from) return t("share.problem.fromNotDate");
  if (choice.to && !to) return t("share.problem.toNotDate");
  if (from && to && from.getTime() > to.getTime()) return t("share.problem.periodOrder");
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
  if (typed.primaryType !== primaryType) return t("share.typed.otherKind");
  const patient = typed.message["patient"];
  if (typeof patient !== "string" || patient.toLowerCase() !== walletAddress.toLowerCase())
    return t("share.typed.otherWallet");
  return "";
}

