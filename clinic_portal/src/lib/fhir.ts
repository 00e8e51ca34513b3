// The FHIR R4 shapes the portal reads (only the fields it shows) and how a decrypted record
// reads to a person. Pure functions: no DOM, no network. Records are decrypted JSON written
// by other systems, so every reader here tolerates missing or ill-typed fields.

import { locale, t, type MessageKey } from "../i18n";
import { formatDate, humanise, parseApiDate } from "./format";

export type Coding = { system?: string; code?: string; display?: string };
export type CodeableConcept = { coding?: Coding[]; text?: string };
export type Quantity = { value?: number; unit?: string; system?: string; code?: string; comparator?: string };
export type Identifier = { system?: string; value?: string };
/** A reference to another resource: literal (`Patient/<id>`) and/or logical (an identifier). */
export type Reference = { reference?: string; identifier?: Identifier; display?: string };
export type Period = { start?: string; end?: string };
export type Range = { low?: Quantity; high?: Quantity };

export type ObservationReferenceRange = { low?: Quantity; high?: Quantity; text?: string };

export type ObservationComponent = {
  code?: CodeableConcept;
  valueQuantity?: Quantity;
};

export type Observation = {
  resourceType: "Observation";
  status?: string;
  category?: CodeableConcept[];
  code?: CodeableConcept;
  subject?: Reference;
  component?: ObservationComponent[];
  valueQuantity?: Quantity;
  valueString?: string;
  valueCodeableConcept?: CodeableConcept;
  valueBoolean?: boolean;
  valueInteger?: number;
  referenceRange?: ObservationReferenceRange[];
  interpretation?: CodeableConcept[];
  effectiveDateTime?: string;
  effectiveInstant?: string;
  effectivePeriod?: Period;
  issued?: string;
};

export type AllergyReaction = {
  manifestation?: CodeableConcept[];
  severity?: string;
  description?: string;
};

export type AllergyIntolerance = {
  resourceType: "AllergyIntolerance";
  code?: CodeableConcept;
  patient?: Reference;
  criticality?: string;
  clinicalStatus?: CodeableConcept;
  verificationStatus?: CodeableConcept;
  reaction?: AllergyReaction[];
  recordedDate?: string;
};

export type Condition = {
  resourceType: "Condition";
  code?: CodeableConcept;
  subject?: Reference;
  category?: CodeableConcept[];
  clinicalStatus?: CodeableConcept;
  verificationStatus?: CodeableConcept;
  onsetDateTime?: string;
  onsetString?: string;
  onsetPeriod?: Period;
  recordedDate?: string;
};

export type Attachment = { title?: string; contentType?: string; language?: string; data?: string };

export type DocumentReference = {
  resourceType: "DocumentReference";
  status?: string;
  type?: CodeableConcept;
  subject?: Reference;
  description?: string;
  date?: string;
  content?: { attachment?: Attachment }[];
};

export type ImagingStudy = {
  resourceType: "ImagingStudy";
  description?: string;
  modality?: Coding[];
  numberOfSeries?: number;
  numberOfInstances?: number;
  started?: string;
  /** In R4 each series names its body part as a Coding (from DICOM Body Part Examined). */
  series?: { bodySite?: Coding; modality?: Coding }[];
};

export type DiagnosticReport = {
  resourceType: "DiagnosticReport";
  status?: string;
  category?: CodeableConcept[];
  subject?: Reference;
  imagingStudy?: Reference[];
  /** The report as written (here: the findings as plain text). */
  presentedForm?: Attachment[];
  code?: CodeableConcept;
  conclusion?: string;
  effectiveDateTime?: string;
  issued?: string;
};

/** Any FHIR resource: only its type is known until it is one of the kinds above. */
export type FhirResource = { resourceType: string };

/** A record as people read it: a title, facts (term and value) and paragraphs of text. */
export type RecordView = {
  title: string;
  facts: { term: string; value: string }[];
  paragraphs: string[];
  /** A report's conclusion on its own (also among the paragraphs), for the study it is about. */
  conclusion?: string;
};

/** Said of a kind of record the portal cannot show yet (in the current language). */
export function noViewYet(): string {
  return t("records.noViewYet");
}

// ---- readers that never trust the JSON's types ----

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() ? value.trim() : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function list<T>(value: T[] | undefined): T[] {
  return Array.isArray(value) ? value.filter((v) => typeof v === "object" && v !== null) : [];
}

/** A CodeableConcept in words: its text, else the first coding's display, else its code. */
export function conceptText(concept: CodeableConcept | undefined): string | undefined {
  if (typeof concept !== "object" || concept === null) return undefined;
  const own = text(concept.text);
  if (own) return own;
  const codings = list(concept.coding);
  for (const c of codings) {
    const display = text(c.display);
    if (display) return display;
  }
  for (const c of codings) {
    const code = text(c.code);
    if (code) return code;
  }
  return undefined;
}

function codingText(coding: Coding | undefined): string | undefined {
  if (typeof coding !== "object" || coding === null) return undefined;
  return text(coding.display) ?? text(coding.code);
}

/** "6.4 %", "120 mmHg", "< 5 mg/L". */
export function quantityText(q: Quantity | undefined): string | undefined {
  if (typeof q !== "object" || q === null) return undefined;
  const value = num(q.value);
  if (value === undefined) return undefined;
  const unit = text(q.unit) ?? text(q.code);
  const comparator = text(q.comparator);
  return [comparator, String(value), unit].filter(Boolean).join(" ");
}

/** "4-5.6 %", "at least 4 %", "up to 5.6 %", or the range's own text. */
export function referenceRangeText(range: ObservationReferenceRange | undefined): string | undefined {
  if (typeof range !== "object" || range === null) return undefined;
  const low = num(range.low?.value);
  const high = num(range.high?.value);
  const unit = text(range.high?.unit) ?? text(range.low?.unit) ?? text(range.high?.code) ?? text(range.low?.code);
  const withUnit = (s: string) => (unit ? `${s} ${unit}` : s);
  if (low !== undefined && high !== undefined) return withUnit(`${low}-${high}`);
  if (low !== undefined) return withUnit(t("records.atLeast", { value: low }));
  if (high !== undefined) return withUnit(t("records.upTo", { value: high }));
  return text(range.text);
}

/** A FHIR date, dateTime or instant as people read it ("3 Mar 2025", "Mar 2025", "2025"). */
export function fhirDate(value: unknown, timeZone?: string): string | undefined {
  const v = text(value);
  if (!v) return undefined;
  if (/^\d{4}$/.test(v)) return v;
  if (/^\d{4}-\d{2}$/.test(v)) {
    const d = new Date(`${v}-01T00:00:00Z`);
    if (Number.isNaN(d.getTime())) return v;
    return new Intl.DateTimeFormat(locale(), { month: "short", year: "numeric", timeZone: "UTC" }).format(d);
  }
  // A date without a time is a calendar day: not shifted by the reader's time zone.
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return formatDate(v, "UTC");
  return parseApiDate(v) ? formatDate(v, timeZone) : v;
}

const INTERPRETATION_WORDS: Record<string, MessageKey> = {
  H: "records.interp.H",
  HH: "records.interp.HH",
  HU: "records.interp.HU",
  L: "records.interp.L",
  LL: "records.interp.LL",
  LU: "records.interp.LU",
  N: "records.interp.N",
  A: "records.interp.A",
  AA: "records.interp.AA",
  POS: "records.interp.POS",
  NEG: "records.interp.NEG",
};

/** An interpretation code (v3 ObservationInterpretation: "H", "L", "N", ...) in words, or undefined. */
export function interpretationCodeInWords(code: string): string | undefined {
  const key = INTERPRETATION_WORDS[code.toUpperCase()];
  return key ? t(key) : undefined;
}

function interpretationText(concept: CodeableConcept | undefined): string | undefined {
  if (typeof concept !== "object" || concept === null) return undefined;
  const own = text(concept.text);
  if (own) return own;
  for (const c of list(concept.coding)) {
    // A known code reads in the person's language, whatever display the writer gave it.
    const code = text(c.code);
    const known = code ? interpretationCodeInWords(code) : undefined;
    if (known) return known;
    const display = text(c.display);
    if (display) return display;
    if (code) return code;
  }
  return undefined;
}

const CRITICALITY_WORDS: Record<string, MessageKey> = {
  high: "records.criticality.high",
  low: "records.criticality.low",
  "unable-to-assess": "records.criticality.unableToAssess",
};

/** An allergy's criticality in words: "high" -> "High criticality" (in the current language). */
export function criticalityInWords(criticality: unknown): string | undefined {
  const c = text(criticality);
  if (!c) return undefined;
  const key = CRITICALITY_WORDS[c];
  return key ? t(key) : t("records.criticality.other", { value: humanise(c) });
}

const CLINICAL_STATUS_WORDS: Record<string, MessageKey> = {
  active: "records.status.active",
  recurrence: "records.status.recurrence",
  relapse: "records.status.relapse",
  inactive: "records.status.inactive",
  remission: "records.status.remission",
  resolved: "records.status.resolved",
};

/** A Condition's or allergy's clinical status (a CodeableConcept of one code) in words. */
export function clinicalStatusInWords(status: CodeableConcept | undefined): string | undefined {
  if (typeof status !== "object" || status === null) return undefined;
  const own = text(status.text);
  if (own) return own;
  for (const c of list(status.coding)) {
    const code = text(c.code);
    const key = code ? CLINICAL_STATUS_WORDS[code] : undefined;
    if (key) return t(key);
    if (code) return text(c.display) ?? humanise(code);
    const display = text(c.display);
    if (display) return display;
  }
  return undefined;
}

function facts(...pairs: [string, string | undefined][]): RecordView["facts"] {
  return pairs.flatMap(([term, value]) => (value ? [{ term, value }] : []));
}

function paragraphs(...items: (string | undefined)[]): string[] {
  return items.filter((p): p is string => Boolean(p));
}

// ---- one view per kind of resource ----

export function observationView(obs: Observation, timeZone?: string): RecordView {
  const value =
    quantityText(obs.valueQuantity) ??
    text(obs.valueString) ??
    conceptText(obs.valueCodeableConcept) ??
    (typeof obs.valueBoolean === "boolean" ? (obs.valueBoolean ? t("records.yes") : t("records.no")) : undefined) ??
    (num(obs.valueInteger) !== undefined ? String(obs.valueInteger) : undefined);
  const ranges = list(obs.referenceRange)
    .map((r) => referenceRangeText(r))
    .filter((r): r is string => Boolean(r));
  const interpretations = list(obs.interpretation)
    .map((i) => interpretationText(i))
    .filter((i): i is string => Boolean(i));
  const when =
    fhirDate(obs.effectiveDateTime, timeZone) ??
    fhirDate(obs.effectiveInstant, timeZone) ??
    fhirDate(obs.effectivePeriod?.start, timeZone) ??
    fhirDate(obs.issued, timeZone);
  return {
    title: conceptText(obs.code) ?? t("records.kind.observation"),
    facts: facts(
      [t("records.fact.result"), value ?? t("records.noValue")],
      [t("records.fact.normalRange"), ranges.length ? ranges.join("; ") : undefined],
      [t("records.fact.interpretation"), interpretations.length ? interpretations.join(", ") : undefined],
      [t("records.fact.date"), when],
    ),
    paragraphs: [],
  };
}

function reactionText(reaction: AllergyReaction): string | undefined {
  const signs = list(reaction.manifestation)
    .map((m) => conceptText(m))
    .filter((m): m is string => Boolean(m));
  const what = signs.length ? signs.join(", ") : text(reaction.description);
  const severity = text(reaction.severity);
  if (!what) return severity ? t("records.severityReaction", { severity: humanise(severity) }) : undefined;
  return severity ? `${what} (${severity})` : what;
}

export function allergyView(allergy: AllergyIntolerance, timeZone?: string): RecordView {
  const reactions = list(allergy.reaction)
    .map(reactionText)
    .filter((r): r is string => Boolean(r));
  return {
    title: conceptText(allergy.code) ?? t("records.kind.allergy"),
    facts: facts(
      [t("records.fact.risk"), criticalityInWords(allergy.criticality)],
      [t("records.fact.reaction"), reactions.length ? reactions.join("; ") : undefined],
      [t("records.fact.status"), clinicalStatusInWords(allergy.clinicalStatus)],
      [t("records.fact.recorded"), fhirDate(allergy.recordedDate, timeZone)],
    ),
    paragraphs: [],
  };
}

export function conditionView(condition: Condition, timeZone?: string): RecordView {
  const onset =
    fhirDate(condition.onsetDateTime, timeZone) ??
    text(condition.onsetString) ??
    fhirDate(condition.onsetPeriod?.start, timeZone);
  return {
    title: conceptText(condition.code) ?? t("records.kind.condition"),
    facts: facts(
      [t("records.fact.status"), clinicalStatusInWords(condition.clinicalStatus)],
      [t("records.fact.since"), onset],
      [t("records.fact.recorded"), fhirDate(condition.recordedDate, timeZone)],
    ),
    paragraphs: [],
  };
}

export function documentView(doc: DocumentReference, timeZone?: string): RecordView {
  const attachmentTitle = list(doc.content)
    .map((c) => text(c.attachment?.title))
    .find(Boolean);
  return {
    title: conceptText(doc.type) ?? attachmentTitle ?? t("records.kind.document"),
    facts: facts([t("records.fact.date"), fhirDate(doc.date, timeZone)]),
    paragraphs: paragraphs(text(doc.description)),
  };
}

const MODALITY_WORDS: Record<string, MessageKey> = {
  CT: "records.modality.CT",
  MR: "records.modality.MR",
  CR: "records.modality.CR",
  DX: "records.modality.DX",
  US: "records.modality.US",
  MG: "records.modality.MG",
  NM: "records.modality.NM",
  PT: "records.modality.PT",
  XA: "records.modality.XA",
};

/** A DICOM modality code in words ("CT" -> "CT scan"); codes without words stay as they are. */
export function modalityInWords(code: string): string {
  const key = MODALITY_WORDS[code.trim().toUpperCase()];
  return key ? t(key) : code;
}

/** The body parts a study's series name ("Chest"), without repeats. */
export function studyBodyParts(study: ImagingStudy): string[] {
  const parts = list(study.series)
    .map((s) => codingText(s.bodySite))
    .filter((p): p is string => Boolean(p))
    .map((p) => (p === p.toUpperCase() ? humanise(p.toLowerCase()) : p));
  return [...new Set(parts)];
}

export function imagingStudyView(study: ImagingStudy, timeZone?: string): RecordView {
  const modalities = list(study.modality)
    .map((c) => text(c.code) ?? codingText(c))
    .filter((m): m is string => Boolean(m))
    .map(modalityInWords);
  const bodyParts = studyBodyParts(study);
  const series = num(study.numberOfSeries);
  const instances = num(study.numberOfInstances);
  return {
    title: text(study.description) ?? t("records.kind.imagingStudy"),
    facts: facts(
      [t("records.fact.modality"), modalities.length ? modalities.join(", ") : undefined],
      [t("records.fact.bodyPart"), bodyParts.length ? bodyParts.join(", ") : undefined],
      [t("records.fact.series"), series !== undefined ? String(series) : undefined],
      [t("records.fact.images"), instances !== undefined ? String(instances) : undefined],
      [t("records.fact.started"), fhirDate(study.started, timeZone)],
    ),
    paragraphs: [],
  };
}

/** A plain-text attachment's words (its base64 `data` as UTF-8), or undefined. */
export function attachmentText(attachment: Attachment | undefined): string | undefined {
  if (typeof attachment !== "object" || attachment === null) return undefined;
  const type = text(attachment.contentType) ?? "";
  const data = text(attachment.data);
  if (!data || !type.toLowerCase().startsWith("text/plain")) return undefined;
  try {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    return text(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return undefined; // not base64 of UTF-8: nothing to show
  }
}

export function diagnosticReportView(report: DiagnosticReport, timeZone?: string): RecordView {
  const conclusion = text(report.conclusion);
  const findings = list(report.presentedForm)
    .map(attachmentText)
    .find((f): f is string => Boolean(f));
  return {
    title: conceptText(report.code) ?? t("records.kind.report"),
    facts: facts([
      t("records.fact.date"),
      fhirDate(report.effectiveDateTime, timeZone) ?? fhirDate(report.issued, timeZone),
    ]),
    paragraphs: paragraphs(
      findings ? t("records.findings", { text: findings }) : undefined,
      conclusion ? t("records.conclusion", { text: conclusion }) : undefined,
    ),
    ...(conclusion ? { conclusion } : {}),
  };
}

/** What a resource type is called when the portal has no view for it ("MedicationRequest"). */
export function unknownView(resource: FhirResource): RecordView {
  return { title: resource.resourceType, facts: [], paragraphs: [noViewYet()] };
}

/** A decrypted JSON value as a FHIR resource, or null when it is not one. */
export function asFhirResource(value: unknown): FhirResource | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const type = (value as { resourceType?: unknown }).resourceType;
  return typeof type === "string" && /^[A-Za-z]+$/.test(type) ? (value as FhirResource) : null;
}

/** Any resource as people read it; kinds the portal cannot show yet say so. */
export function recordView(resource: FhirResource, timeZone?: string): RecordView {
  switch (resource.resourceType) {
    case "Observation":
      return observationView(resource as Observation, timeZone);
    case "AllergyIntolerance":
      return allergyView(resource as AllergyIntolerance, timeZone);
    case "Condition":
      return conditionView(resource as Condition, timeZone);
    case "DocumentReference":
      return documentView(resource as DocumentReference, timeZone);
    case "ImagingStudy":
      return imagingStudyView(resource as ImagingStudy, timeZone);
    case "DiagnosticReport":
      return diagnosticReportView(resource as DiagnosticReport, timeZone);
    default:
      return unknownView(resource);
  }
}

/** A view as one plain string ("Title. Term: value. Paragraph."), for tests and screen text. */
export function recordViewText(view: RecordView): string {
  return [view.title, ...view.facts.map((f) => `${f.term}: ${f.value}`), ...view.paragraphs].join("\n");
}
