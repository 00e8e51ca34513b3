// The FHIR R4 shapes the portal reads (only the fields it shows) and how a decrypted record
// reads to a person. Pure functions: no DOM, no network. Records are decrypted JSON written
// by other systems, so every reader here tolerates missing or ill-typed fields.

import { formatDate, humanise } from "./format";

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
};

export type DiagnosticReport = {
  resourceType: "DiagnosticReport";
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
};

export const NO_VIEW_YET = "No view for this kind of record yet.";

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
  if (low !== undefined) return withUnit(`at least ${low}`);
  if (high !== undefined) return withUnit(`up to ${high}`);
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
    return new Intl.DateTimeFormat("en-GB", { month: "short", year: "numeric", timeZone: "UTC" }).format(d);
  }
  // A date without a time is a calendar day: not shifted by the reader's time zone.
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return formatDate(v, "UTC");
  const formatted = formatDate(v, timeZone);
  return formatted === "Unknown date" ? v : formatted;
}

const INTERPRETATION_WORDS: Record<string, string> = {
  H: "High",
  HH: "Critically high",
  HU: "Significantly high",
  L: "Low",
  LL: "Critically low",
  LU: "Significantly low",
  N: "Normal",
  A: "Abnormal",
  AA: "Critically abnormal",
  POS: "Positive",
  NEG: "Negative",
};

function interpretationText(concept: CodeableConcept | undefined): string | undefined {
  if (typeof concept !== "object" || concept === null) return undefined;
  const own = text(concept.text);
  if (own) return own;
  for (const c of list(concept.coding)) {
    const display = text(c.display);
    if (display) return display;
    const code = text(c.code);
    if (code) return INTERPRETATION_WORDS[code.toUpperCase()] ?? code;
  }
  return undefined;
}

const CRITICALITY_WORDS: Record<string, string> = {
  high: "High criticality",
  low: "Low criticality",
  "unable-to-assess": "Criticality unable to assess",
};

/** An allergy's criticality in words: "high" -> "High criticality". */
export function criticalityInWords(criticality: unknown): string | undefined {
  const c = text(criticality);
  if (!c) return undefined;
  return CRITICALITY_WORDS[c] ?? `${humanise(c)} criticality`;
}

const CLINICAL_STATUS_WORDS: Record<string, string> = {
  active: "Active",
  recurrence: "Returned",
  relapse: "Relapsed",
  inactive: "Inactive",
  remission: "In remission",
  resolved: "Resolved",
};

/** A Condition's or allergy's clinical status (a CodeableConcept of one code) in words. */
export function clinicalStatusInWords(status: CodeableConcept | undefined): string | undefined {
  if (typeof status !== "object" || status === null) return undefined;
  const own = text(status.text);
  if (own) return own;
  for (const c of list(status.coding)) {
    const code = text(c.code);
    if (code) return CLINICAL_STATUS_WORDS[code] ?? text(c.display) ?? humanise(code);
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
    (typeof obs.valueBoolean === "boolean" ? (obs.valueBoolean ? "Yes" : "No") : undefined) ??
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
    title: conceptText(obs.code) ?? "Observation",
    facts: facts(
      ["Result", value ?? "No value recorded"],
      ["Normal range", ranges.length ? ranges.join("; ") : undefined],
      ["Interpretation", interpretations.length ? interpretations.join(", ") : undefined],
      ["Date", when],
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
  if (!what) return severity ? `${humanise(severity)} reaction` : undefined;
  return severity ? `${what} (${severity})` : what;
}

export function allergyView(allergy: AllergyIntolerance, timeZone?: string): RecordView {
  const reactions = list(allergy.reaction)
    .map(reactionText)
    .filter((r): r is string => Boolean(r));
  return {
    title: conceptText(allergy.code) ?? "Allergy or intolerance",
    facts: facts(
      ["Risk", criticalityInWords(allergy.criticality)],
      ["Reaction", reactions.length ? reactions.join("; ") : undefined],
      ["Status", clinicalStatusInWords(allergy.clinicalStatus)],
      ["Recorded", fhirDate(allergy.recordedDate, timeZone)],
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
    title: conceptText(condition.code) ?? "Condition",
    facts: facts(
      ["Status", clinicalStatusInWords(condition.clinicalStatus)],
      ["Since", onset],
      ["Recorded", fhirDate(condition.recordedDate, timeZone)],
    ),
    paragraphs: [],
  };
}

export function documentView(doc: DocumentReference, timeZone?: string): RecordView {
  const attachmentTitle = list(doc.content)
    .map((c) => text(c.attachment?.title))
    .find(Boolean);
  return {
    title: conceptText(doc.type) ?? attachmentTitle ?? "Document",
    facts: facts(["Date", fhirDate(doc.date, timeZone)]),
    paragraphs: paragraphs(text(doc.description)),
  };
}

export function imagingStudyView(study: ImagingStudy, timeZone?: string): RecordView {
  const modalities = list(study.modality)
    .map(codingText)
    .filter((m): m is string => Boolean(m));
  const series = num(study.numberOfSeries);
  const instances = num(study.numberOfInstances);
  return {
    title: text(study.description) ?? "Imaging study",
    facts: facts(
      ["Modality", modalities.length ? modalities.join(", ") : undefined],
      ["Series", series !== undefined ? String(series) : undefined],
      ["Instances", instances !== undefined ? String(instances) : undefined],
      ["Started", fhirDate(study.started, timeZone)],
    ),
    paragraphs: [],
  };
}

export function diagnosticReportView(report: DiagnosticReport, timeZone?: string): RecordView {
  return {
    title: conceptText(report.code) ?? "Report",
    facts: facts(["Date", fhirDate(report.effectiveDateTime, timeZone) ?? fhirDate(report.issued, timeZone)]),
    paragraphs: paragraphs(text(report.conclusion) ? `Conclusion: ${text(report.conclusion)}` : undefined),
  };
}

/** What a resource type is called when the portal has no view for it ("MedicationRequest"). */
export function unknownView(resource: FhirResource): RecordView {
  return { title: resource.resourceType, facts: [], paragraphs: [NO_VIEW_YET] };
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
