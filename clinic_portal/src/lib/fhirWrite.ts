// The FHIR R4 resources a clinician writes from the portal's forms: a progress note
// (DocumentReference), a diagnosis (Condition), an allergy (AllergyIntolerance) and vital signs
// (Observations). Pure functions: what was typed in, checked, becomes resources the API
// accepts (POST /api/v1/patients/{uhid}/records validates them as FHIR R4 and checks that
// their subject/patient is this patient). No DOM, no network.

import { t } from "../i18n";
import type {
  AllergyIntolerance,
  CodeableConcept,
  Condition,
  DocumentReference,
  Observation,
  ObservationComponent,
  Quantity,
  Reference,
} from "./fhir";

/** How the API names a patient by UHID in a logical reference (api/records/fhir.py). */
export const UHID_SYSTEM = "https://ohms.dev/fhir/sid/uhid";
export const LOINC = "http://loinc.org";
export const SNOMED_CT = "http://snomed.info/sct";
export const UCUM = "http://unitsofmeasure.org";
export const CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical";
export const CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
export const CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category";
export const ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
export const ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification";
export const OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category";

/** A resource this module writes. */
export type WrittenResource = DocumentReference | Condition | AllergyIntolerance | Observation;

/** A message about one field of a form, in words. */
export type FieldError<F extends string> = { field: F; message: string };

/** A form's input as resources (each with the fields it was made from), or what is wrong. */
export type Built<F extends string> =
  | { ok: true; items: { resource: WrittenResource; fields: F[] }[] }
  | { ok: false; errors: FieldError<F>[] };

/** The patient, as the API checks it: `Patient/<UHID>` and the UHID as an identifier. */
export function patientReference(uhid: string): Reference {
  const digits = uhid.replace(/[\s-]/g, "");
  return { reference: `Patient/${digits}`, identifier: { system: UHID_SYSTEM, value: digits } };
}

function concept(system: string, code: string, display: string, text?: string): CodeableConcept {
  const c: CodeableConcept = { coding: [{ system, code, display }] };
  if (text) c.text = text;
  return c;
}

function fail<F extends string>(errors: FieldError<F>[]): Built<F> | null {
  return errors.length ? { ok: false, errors } : null;
}

/** Text as base64 of its UTF-8 bytes (an Attachment's `data`). */
export function base64Utf8(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** The calendar day of `now` where the browser is ("2025-03-03"). */
export function localDay(now: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

function isCalendarDay(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

// ---- Note: a progress note (DocumentReference) ----

export type NoteField = "text";
export type NoteInput = { text: string };
export const EMPTY_NOTE: NoteInput = { text: "" };
/** The longest note the form sends (characters). */
export const NOTE_MAX = 20000;

export function buildNote(uhid: string, input: NoteInput, now: Date): Built<NoteField> {
  const text = input.text.trim();
  const errors: FieldError<NoteField>[] = [];
  if (!text) errors.push({ field: "text", message: t("write.error.noteEmpty") });
  else if (text.length > NOTE_MAX) errors.push({ field: "text", message: t("write.error.noteLong", { max: NOTE_MAX }) });
  const failed = fail(errors);
  if (failed) return failed;
  const resource: DocumentReference = {
    resourceType: "DocumentReference",
    status: "current",
    type: concept(LOINC, "11506-3", "Progress note", "Progress note"),
    subject: patientReference(uhid),
    date: now.toISOString(),
    description: text,
    content: [{ attachment: { contentType: "text/plain; charset=utf-8", data: base64Utf8(text), title: "Progress note" } }],
  };
  return { ok: true, items: [{ resource, fields: ["text"] }] };
}

// ---- Diagnosis (Condition) ----

export type DiagnosisStatus = "active" | "resolved";
export type DiagnosisField = "diagnosis" | "snomed" | "status" | "onset";
export type DiagnosisInput = { diagnosis: string; snomed: string; status: DiagnosisStatus; onset: string };
export const EMPTY_DIAGNOSIS: DiagnosisInput = { diagnosis: "", snomed: "", status: "active", onset: "" };
/** The statuses offered, with their FHIR display (coded English, as the terminology names them). */
export const DIAGNOSIS_STATUS_WORDS: Record<DiagnosisStatus, string> = { active: "Active", resolved: "Resolved" };

/** A status as the form shows it, in the current language. */
export function diagnosisStatusLabel(status: DiagnosisStatus): string {
  return t(`write.status.${status}`);
}

export function buildDiagnosis(uhid: string, input: DiagnosisInput, now: Date): Built<DiagnosisField> {
  const diagnosis = input.diagnosis.trim();
  const snomed = input.snomed.replace(/\s/g, "");
  const onset = input.onset.trim();
  const errors: FieldError<DiagnosisField>[] = [];
  if (!diagnosis) errors.push({ field: "diagnosis", message: t("write.error.diagnosis") });
  // A SNOMED CT identifier: 6 to 18 digits, not starting with 0.
  if (snomed && !/^[1-9]\d{5,17}$/.test(snomed)) {
    errors.push({ field: "snomed", message: t("write.error.snomed") });
  }
  if (!(input.status in DIAGNOSIS_STATUS_WORDS)) errors.push({ field: "status", message: t("write.error.status") });
  if (onset && !isCalendarDay(onset)) errors.push({ field: "onset", message: t("write.error.onsetDate") });
  else if (onset && onset > localDay(now)) errors.push({ field: "onset", message: t("write.error.onsetFuture") });
  const failed = fail(errors);
  if (failed) return failed;
  const code: CodeableConcept = { text: diagnosis };
  if (snomed) code.coding = [{ system: SNOMED_CT, code: snomed, display: diagnosis }];
  const resource: Condition = {
    resourceType: "Condition",
    clinicalStatus: concept(CONDITION_CLINICAL, input.status, DIAGNOSIS_STATUS_WORDS[input.status]),
    verificationStatus: concept(CONDITION_VERIFICATION, "confirmed", "Confirmed"),
    category: [concept(CONDITION_CATEGORY, "encounter-diagnosis", "Encounter Diagnosis")],
    code,
    subject: patientReference(uhid),
    recordedDate: now.toISOString(),
  };
  if (onset) resource.onsetDateTime = onset;
  return { ok: true, items: [{ resource, fields: ["diagnosis", "snomed", "status", "onset"] }] };
}

// ---- Allergy (AllergyIntolerance) ----

export type Criticality = "low" | "high" | "unable-to-assess";
export type AllergyField = "substance" | "criticality" | "reaction";
/** `criticality` is "" until one is chosen. */
export type AllergyInput = { substance: string; criticality: Criticality | ""; reaction: string };
export const EMPTY_ALLERGY: AllergyInput = { substance: "", criticality: "", reaction: "" };
/** The choices of criticality, in the order shown. */
export const CRITICALITY_CHOICES: { value: Criticality }[] = [
  { value: "low" },
  { value: "high" },
  { value: "unable-to-assess" },
];

/** A criticality in words, in the current language. */
export function criticalityLabel(value: Criticality): string {
  return t(`write.criticality.${value}`);
}

export function buildAllergy(uhid: string, input: AllergyInput, now: Date): Built<AllergyField> {
  const substance = input.substance.trim();
  const reaction = input.reaction.trim();
  const criticality = CRITICALITY_CHOICES.find((c) => c.value === input.criticality)?.value;
  const errors: FieldError<AllergyField>[] = [];
  if (!substance) errors.push({ field: "substance", message: t("write.error.substance") });
  if (!criticality) errors.push({ field: "criticality", message: t("write.error.criticality") });
  if (errors.length || !criticality) return { ok: false, errors };
  const resource: AllergyIntolerance = {
    resourceType: "AllergyIntolerance",
    clinicalStatus: concept(ALLERGY_CLINICAL, "active", "Active"),
    verificationStatus: concept(ALLERGY_VERIFICATION, "confirmed", "Confirmed"),
    code: { text: substance },
    patient: patientReference(uhid),
    recordedDate: now.toISOString(),
    criticality,
  };
  if (reaction) resource.reaction = [{ manifestation: [{ text: reaction }] }];
  return { ok: true, items: [{ resource, fields: ["substance", "criticality", "reaction"] }] };
}

// ---- Vital signs (Observations) ----

export type VitalField = "heartRate" | "temperature" | "systolic" | "diastolic" | "respiratoryRate" | "spo2" | "weight";
export type VitalsInput = Record<VitalField, string>;
export const EMPTY_VITALS: VitalsInput = {
  heartRate: "",
  temperature: "",
  systolic: "",
  diastolic: "",
  respiratoryRate: "",
  spo2: "",
  weight: "",
};

type VitalSpec = {
  /** The Observation's code text, as the record reads. */
  title: string;
  /** The unit as people read it, in messages (the sign's name is the message write.vital.<field>). */
  unitWords: string;
  min: number;
  max: number;
  /** Whole numbers only. */
  whole: boolean;
  loinc: string;
  display: string;
  quantity: { unit: string; code: string };
};

/** Each field's LOINC code, UCUM unit and the range the form accepts. */
export const VITALS: Record<VitalField, VitalSpec> = {
  heartRate: {
    title: "Heart rate",
    unitWords: "/min",
    min: 20,
    max: 300,
    whole: true,
    loinc: "8867-4",
    display: "Heart rate",
    quantity: { unit: "beats/minute", code: "/min" },
  },
  temperature: {
    title: "Body temperature",
    unitWords: "°C",
    min: 25,
    max: 45,
    whole: false,
    loinc: "8310-5",
    display: "Body temperature",
    quantity: { unit: "°C", code: "Cel" },
  },
  systolic: {
    title: "Systolic blood pressure",
    unitWords: "mm Hg",
    min: 40,
    max: 300,
    whole: true,
    loinc: "8480-6",
    display: "Systolic blood pressure",
    quantity: { unit: "mmHg", code: "mm[Hg]" },
  },
  diastolic: {
    title: "Diastolic blood pressure",
    unitWords: "mm Hg",
    min: 20,
    max: 200,
    whole: true,
    loinc: "8462-4",
    display: "Diastolic blood pressure",
    quantity: { unit: "mmHg", code: "mm[Hg]" },
  },
  respiratoryRate: {
    title: "Respiratory rate",
    unitWords: "/min",
    min: 4,
    max: 80,
    whole: true,
    loinc: "9279-1",
    display: "Respiratory rate",
    quantity: { unit: "breaths/minute", code: "/min" },
  },
  spo2: {
    title: "Oxygen saturation",
    unitWords: "%",
    min: 50,
    max: 100,
    whole: true,
    loinc: "59408-5",
    display: "Oxygen saturation in Arterial blood by Pulse oximetry",
    quantity: { unit: "%", code: "%" },
  },
  weight: {
    title: "Body weight",
    unitWords: "kg",
    min: 0.2,
    max: 500,
    whole: false,
    loinc: "29463-7",
    display: "Body weight",
    quantity: { unit: "kg", code: "kg" },
  },
};

export const BLOOD_PRESSURE = { loinc: "85354-9", display: "Blood pressure panel with all children optional" };

/** A typed number ("36.6", "36,6", "72"), or null when it is not one. */
export function parseNumber(typed: string, whole: boolean): number | null {
  const t = typed.trim().replace(",", ".");
  if (!(whole ? /^\d+$/ : /^\d+(\.\d+)?$/).test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/** The message for a typed vital sign, or null when it is fine (or empty). */
export function vitalError(field: VitalField, typed: string): string | null {
  if (!typed.trim()) return null;
  const spec = VITALS[field];
  const value = parseNumber(typed, spec.whole);
  const vars = { name: t(`write.vital.${field}`), min: spec.min, max: spec.max, unit: spec.unitWords };
  if (value === null) return t(spec.whole ? "write.error.vitalWhole" : "write.error.vitalNumber", vars);
  if (value < spec.min || value > spec.max) return t("write.error.vitalRange", vars);
  return null;
}

function quantity(field: VitalField, value: number): Quantity {
  const q = VITALS[field].quantity;
  return { value, unit: q.unit, system: UCUM, code: q.code };
}

function vitalObservation(uhid: string, now: Date, code: CodeableConcept): Observation {
  return {
    resourceType: "Observation",
    status: "final",
    category: [concept(OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")],
    code,
    subject: patientReference(uhid),
    effectiveDateTime: now.toISOString(),
  };
}

const SINGLE_VITALS: Exclude<VitalField, "systolic" | "diastolic">[] = [
  "heartRate",
  "temperature",
  "respiratoryRate",
  "spo2",
  "weight",
];

/** Every filled vital sign as an Observation (blood pressure: one, with two components). */
export function buildVitals(uhid: string, input: VitalsInput, now: Date): Built<VitalField> {
  const errors: FieldError<VitalField>[] = [];
  const fields = Object.keys(VITALS) as VitalField[];
  for (const field of fields) {
    const message = vitalError(field, input[field]);
    if (message) errors.push({ field, message });
  }
  const systolicTyped = input.systolic.trim() !== "";
  const diastolicTyped = input.diastolic.trim() !== "";
  if (systolicTyped !== diastolicTyped) {
    errors.push(
      systolicTyped
        ? { field: "diastolic", message: t("write.error.needDiastolic") }
        : { field: "systolic", message: t("write.error.needSystolic") },
    );
  }
  if (!fields.some((f) => input[f].trim())) {
    errors.push({ field: "heartRate", message: t("write.error.noVitals") });
  }
  const value = (field: VitalField) => parseNumber(input[field], VITALS[field].whole);
  const systolic = value("systolic");
  const diastolic = value("diastolic");
  if (!errors.length && systolic !== null && diastolic !== null && systolic <= diastolic) {
    errors.push({ field: "systolic", message: t("write.error.bpOrder") });
  }
  const failed = fail(errors);
  if (failed) return failed;
  const items: { resource: WrittenResource; fields: VitalField[] }[] = [];
  const pushSingle = (field: (typeof SINGLE_VITALS)[number]) => {
    const v = value(field);
    if (v === null) return;
    const spec = VITALS[field];
    const obs = vitalObservation(uhid, now, concept(LOINC, spec.loinc, spec.display, spec.title));
    obs.valueQuantity = quantity(field, v);
    items.push({ resource: obs, fields: [field] });
  };
  // In the order of the form: heart rate, temperature, blood pressure, then the others.
  for (const field of SINGLE_VITALS.slice(0, 2)) pushSingle(field);
  if (systolic !== null && diastolic !== null) {
    const component = (field: "systolic" | "diastolic", v: number): ObservationComponent => ({
      code: concept(LOINC, VITALS[field].loinc, VITALS[field].display),
      valueQuantity: quantity(field, v),
    });
    const bp = vitalObservation(uhid, now, concept(LOINC, BLOOD_PRESSURE.loinc, BLOOD_PRESSURE.display, "Blood pressure"));
    bp.component = [component("systolic", systolic), component("diastolic", diastolic)];
    items.push({ resource: bp, fields: ["systolic", "diastolic"] });
  }
  for (const field of SINGLE_VITALS.slice(2)) pushSingle(field);
  return { ok: true, items };
}
