// The FHIR R4 resources lab and radiology staff write from the portal: a laboratory result
// (an Observation coded in LOINC, with its UCUM unit, reference range and an interpretation
// computed from the range) and a radiology report (a DiagnosticReport about a study). Pure
// functions: what was typed in, checked, becomes resources the API accepts. No DOM, no network.

import { t, type MessageKey } from "../i18n";
import type { CodeableConcept, DiagnosticReport, Observation, Quantity } from "./fhir";
import {
  base64Utf8,
  LOINC,
  localDay,
  OBSERVATION_CATEGORY,
  parseNumber,
  patientReference,
  UCUM,
  type FieldError,
} from "./fhirWrite";

export const INTERPRETATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
export const DIAGNOSTIC_SERVICE_SECTION = "http://terminology.hl7.org/CodeSystem/v2-0074";

/** A common laboratory test: its LOINC code, UCUM unit and a usual adult reference range. */
export type LabTest = {
  id: LabTestId;
  loinc: string;
  /** The LOINC long common name, as the record's coding displays it. */
  display: string;
  /** The short name the record's code text gives (what patients and clinicians read first). */
  text: string;
  /** The test's name in the portal's words (a message key). */
  name: MessageKey;
  unit: { code: string; shown: string };
  range: { low: number; high: number };
  /** The largest value the form takes (typing errors, not clinical limits). */
  max: number;
};

export type LabTestId = "hemoglobin" | "glucose" | "creatinine" | "hba1c" | "tsh" | "wbc" | "platelets";

export const LAB_TESTS: readonly LabTest[] = [
  {
    id: "hemoglobin",
    loinc: "718-7",
    display: "Hemoglobin [Mass/volume] in Blood",
    text: "Haemoglobin",
    name: "results.test.hemoglobin",
    unit: { code: "g/dL", shown: "g/dL" },
    range: { low: 12, high: 16 },
    max: 30,
  },
  {
    id: "glucose",
    loinc: "2345-7",
    display: "Glucose [Mass/volume] in Serum or Plasma",
    text: "Glucose",
    name: "results.test.glucose",
    unit: { code: "mg/dL", shown: "mg/dL" },
    range: { low: 70, high: 99 },
    max: 2000,
  },
  {
    id: "creatinine",
    loinc: "2160-0",
    display: "Creatinine [Mass/volume] in Serum or Plasma",
    text: "Creatinine",
    name: "results.test.creatinine",
    unit: { code: "mg/dL", shown: "mg/dL" },
    range: { low: 0.6, high: 1.2 },
    max: 40,
  },
  {
    id: "hba1c",
    loinc: "4548-4",
    display: "Hemoglobin A1c/Hemoglobin.total in Blood",
    text: "HbA1c",
    name: "results.test.hba1c",
    unit: { code: "%", shown: "%" },
    range: { low: 4, high: 5.6 },
    max: 25,
  },
  {
    id: "tsh",
    loinc: "3016-3",
    display: "Thyrotropin [Units/volume] in Serum or Plasma",
    text: "TSH",
    name: "results.test.tsh",
    unit: { code: "m[IU]/L", shown: "mIU/L" },
    range: { low: 0.4, high: 4 },
    max: 500,
  },
  {
    id: "wbc",
    loinc: "6690-2",
    display: "Leukocytes [#/volume] in Blood by Automated count",
    text: "White blood cell count",
    name: "results.test.wbc",
    unit: { code: "10*3/uL", shown: "×10³/µL" },
    range: { low: 4, high: 11 },
    max: 500,
  },
  {
    id: "platelets",
    loinc: "777-3",
    display: "Platelets [#/volume] in Blood by Automated count",
    text: "Platelet count",
    name: "results.test.platelets",
    unit: { code: "10*3/uL", shown: "×10³/µL" },
    range: { low: 150, high: 400 },
    max: 3000,
  },
];

export function labTest(id: string): LabTest | undefined {
  return LAB_TESTS.find((test) => test.id === id);
}

export type LabField = "test" | "value" | "low" | "high" | "date";
/** What the form holds: the test's id ("" until chosen) and the typed numbers and day. */
export type LabInput = { test: LabTestId | ""; value: string; low: string; high: string; date: string };

/** An empty form, its date today (where the browser is). */
export function emptyLabInput(now: Date): LabInput {
  return { test: "", value: "", low: "", high: "", date: localDay(now) };
}

/** The form after choosing a test: its usual range filled in (the lab may change it). */
export function chooseLabTest(input: LabInput, id: LabTestId | ""): LabInput {
  const test = labTest(id);
  if (!test) return { ...input, test: "" };
  return { ...input, test: test.id, low: String(test.range.low), high: String(test.range.high) };
}

export type Interpretation = "H" | "L" | "N";

const INTERPRETATION_DISPLAY: Record<Interpretation, string> = { H: "High", L: "Low", N: "Normal" };

/** High, low or normal against the reference range (bounds included in the range). */
export function interpret(value: number, range: { low?: number; high?: number }): Interpretation {
  if (range.high !== undefined && value > range.high) return "H";
  if (range.low !== undefined && value < range.low) return "L";
  return "N";
}

function isCalendarDay(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

export type BuiltLab =
  | { ok: true; resource: Observation; interpretation: Interpretation | null }
  | { ok: false; errors: FieldError<LabField>[] };

/** A typed decimal (a comma taken as the decimal point), or null. */
function decimal(typed: string): number | null {
  return parseNumber(typed, false);
}

/** The lab result as a FHIR R4 Observation (category laboratory, status final), or what is wrong. */
export function buildLabResult(uhid: string, input: LabInput, now: Date): BuiltLab {
  const errors: FieldError<LabField>[] = [];
  const test = labTest(input.test);
  if (!test) errors.push({ field: "test", message: t("results.lab.error.test") });
  const value = decimal(input.value);
  if (!input.value.trim()) errors.push({ field: "value", message: t("results.lab.error.valueMissing") });
  else if (value === null || (test && value > test.max)) {
    errors.push({
      field: "value",
      message: test
        ? t("results.lab.error.valueRange", { max: test.max, unit: test.unit.shown })
        : t("results.lab.error.valueNumber"),
    });
  }
  const lowTyped = input.low.trim() !== "";
  const highTyped = input.high.trim() !== "";
  const low = lowTyped ? decimal(input.low) : undefined;
  const high = highTyped ? decimal(input.high) : undefined;
  if (low === null) errors.push({ field: "low", message: t("results.lab.error.lowNumber") });
  if (high === null) errors.push({ field: "high", message: t("results.lab.error.highNumber") });
  if (typeof low === "number" && typeof high === "number" && low >= high) {
    errors.push({ field: "high", message: t("results.lab.error.rangeOrder") });
  }
  const date = input.date.trim();
  if (!isCalendarDay(date)) errors.push({ field: "date", message: t("results.lab.error.date") });
  else if (date > localDay(now)) errors.push({ field: "date", message: t("results.lab.error.dateFuture") });
  if (errors.length || !test || value === null) return { ok: false, errors };

  const quantity = (v: number): Quantity => ({ value: v, unit: test.unit.shown, system: UCUM, code: test.unit.code });
  const code: CodeableConcept = {
    coding: [{ system: LOINC, code: test.loinc, display: test.display }],
    text: test.text,
  };
  const resource: Observation = {
    resourceType: "Observation",
    status: "final",
    category: [{ coding: [{ system: OBSERVATION_CATEGORY, code: "laboratory", display: "Laboratory" }] }],
    code,
    subject: patientReference(uhid),
    effectiveDateTime: date,
    issued: now.toISOString(),
    valueQuantity: quantity(value),
  };
  const range: { low?: number; high?: number } = {};
  if (typeof low === "number") range.low = low;
  if (typeof high === "number") range.high = high;
  let interpretation: Interpretation | null = null;
  if (range.low !== undefined || range.high !== undefined) {
    resource.referenceRange = [
      {
        ...(range.low !== undefined ? { low: quantity(range.low) } : {}),
        ...(range.high !== undefined ? { high: quantity(range.high) } : {}),
      },
    ];
    interpretation = interpret(value, range);
    resource.interpretation = [
      { coding: [{ system: INTERPRETATION_SYSTEM, code: interpretation, display: INTERPRETATION_DISPLAY[interpretation] }] },
    ];
  }
  return { ok: true, resource, interpretation };
}

// ---- Radiology report (DiagnosticReport) ----

export type ReportField = "findings" | "conclusion";
export type ReportInput = { findings: string; conclusion: string };
export const EMPTY_REPORT: ReportInput = { findings: "", conclusion: "" };
/** The longest findings and conclusion the form sends (characters). */
export const FINDINGS_MAX = 20000;
export const CONCLUSION_MAX = 2000;

export type BuiltReport = { ok: true; resource: DiagnosticReport } | { ok: false; errors: FieldError<ReportField>[] };

/**
 * A radiologist's report as a FHIR R4 DiagnosticReport (category RAD, status final): the
 * conclusion in `conclusion`, the findings as a plain-text attached form. The service links
 * it to the study (imagingStudy) itself.
 */
export function buildImagingReport(uhid: string, input: ReportInput, now: Date): BuiltReport {
  const findings = input.findings.trim();
  const conclusion = input.conclusion.trim();
  const errors: FieldError<ReportField>[] = [];
  if (findings.length > FINDINGS_MAX) {
    errors.push({ field: "findings", message: t("results.report.error.findingsLong", { max: FINDINGS_MAX }) });
  }
  if (!conclusion) errors.push({ field: "conclusion", message: t("results.report.error.conclusion") });
  else if (conclusion.length > CONCLUSION_MAX) {
    errors.push({ field: "conclusion", message: t("results.report.error.conclusionLong", { max: CONCLUSION_MAX }) });
  }
  if (errors.length) return { ok: false, errors };
  const resource: DiagnosticReport = {
    resourceType: "DiagnosticReport",
    status: "final",
    category: [{ coding: [{ system: DIAGNOSTIC_SERVICE_SECTION, code: "RAD", display: "Radiology" }] }],
    code: { coding: [{ system: LOINC, code: "18748-4", display: "Diagnostic imaging study" }], text: "Imaging report" },
    subject: patientReference(uhid),
    effectiveDateTime: now.toISOString(),
    issued: now.toISOString(),
    conclusion,
  };
  if (findings) {
    resource.presentedForm = [
      { contentType: "text/plain; charset=utf-8", data: base64Utf8(findings), title: "Findings" },
    ];
  }
  return { ok: true, resource };
}
