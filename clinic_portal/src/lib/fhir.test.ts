import { describe, expect, it, vi } from "vitest";
import { base64Utf8 } from "./fhirWrite";
import {
  allergyView,
  attachmentText,
  modalityInWords,
  asFhirResource,
  conditionView,
  criticalityInWords,
  diagnosticReportView,
  documentView,
  fhirDate,
  imagingStudyView,
  noViewYet,
  observationView,
  recordView,
  recordViewText,
  referenceRangeText,
  type FhirResource,
} from "./fhir";
import { recordProblemInWords, viewOfPlaintext } from "./openRecords";

const text = (r: FhirResource) => recordViewText(recordView(r, "UTC"));

describe("FHIR records as people read them", () => {
  it("an Observation: code, value with unit, reference range, interpretation, date", () => {
    const view = observationView(
      {
        resourceType: "Observation",
        code: { coding: [{ system: "http://loinc.org", code: "4548-4", display: "Hemoglobin A1c" }] },
        valueQuantity: { value: 6.4, unit: "%" },
        referenceRange: [{ low: { value: 4, unit: "%" }, high: { value: 5.6, unit: "%" } }],
        interpretation: [{ coding: [{ code: "H" }] }],
        effectiveDateTime: "2025-03-03T09:30:00Z",
      },
      "UTC",
    );
    expect(view.title).toBe("Hemoglobin A1c");
    expect(view.facts).toEqual([
      { term: "Result", value: "6.4 %" },
      { term: "Normal range", value: "4-5.6 %" },
      { term: "Interpretation", value: "High" },
      { term: "Date", value: "3 Mar 2025" },
    ]);
  });

  it("an Observation with only what the demo data has, and code text preferred", () => {
    expect(
      text({
        resourceType: "Observation",
        code: { text: "HbA1c", coding: [{ display: "Hemoglobin A1c" }] },
        valueQuantity: { value: 6.4, unit: "%" },
      } as FhirResource),
    ).toBe("HbA1c\nResult: 6.4 %");
    expect(referenceRangeText({ high: { value: 200, unit: "mg/dL" } })).toBe("up to 200 mg/dL");
    expect(referenceRangeText({ low: { value: 60 } })).toBe("at least 60");
    expect(referenceRangeText({ text: "Negative" })).toBe("Negative");
  });

  it("an AllergyIntolerance: substance, criticality in words, reaction", () => {
    expect(
      text({ resourceType: "AllergyIntolerance", code: { text: "Penicillin" }, criticality: "high" } as FhirResource),
    ).toBe("Penicillin\nRisk: High criticality");
    const view = allergyView({
      resourceType: "AllergyIntolerance",
      code: { coding: [{ display: "Peanut" }] },
      criticality: "low",
      reaction: [{ manifestation: [{ text: "Hives" }, { coding: [{ display: "Itching" }] }], severity: "mild" }],
    });
    expect(view.title).toBe("Peanut");
    expect(view.facts).toContainEqual({ term: "Risk", value: "Low criticality" });
    expect(view.facts).toContainEqual({ term: "Reaction", value: "Hives, Itching (mild)" });
    expect(criticalityInWords("unable-to-assess")).toBe("Criticality unable to assess");
  });

  it("a Condition: code, clinical status, onset", () => {
    const view = conditionView({
      resourceType: "Condition",
      code: { coding: [{ display: "Essential hypertension" }] },
      clinicalStatus: { coding: [{ code: "active" }] },
      onsetDateTime: "2019-06-14",
    });
    expect(recordViewText(view)).toBe("Essential hypertension\nStatus: Active\nSince: 14 Jun 2019");
  });

  it("a DocumentReference: type and description", () => {
    const view = documentView({
      resourceType: "DocumentReference",
      type: { coding: [{ system: "http://loinc.org", code: "11506-3", display: "Progress note" }] },
      description: "Follow-up visit: blood pressure controlled on current dose.",
    });
    expect(view.title).toBe("Progress note");
    expect(view.paragraphs).toEqual(["Follow-up visit: blood pressure controlled on current dose."]);
  });

  it("an ImagingStudy: description, modality, series and instances", () => {
    const view = imagingStudyView({
      resourceType: "ImagingStudy",
      description: "CT chest",
      modality: [{ system: "http://dicom.nema.org/resources/ontology/DCM", code: "CT" }],
      numberOfSeries: 2,
      numberOfInstances: 150,
      series: [{ bodySite: { code: "CHEST" } }, { bodySite: { display: "Chest" } }],
    });
    expect(recordViewText(view)).toBe("CT chest\nModality: CT scan\nBody part: Chest\nSeries: 2\nImages: 150");
    expect(modalityInWords("mr")).toBe("MRI scan");
    expect(modalityInWords("OT")).toBe("OT");
  });

  it("a DiagnosticReport: code and conclusion", () => {
    const view = diagnosticReportView({
      resourceType: "DiagnosticReport",
      code: { coding: [{ display: "CT Chest" }] },
      conclusion: "No acute cardiopulmonary findings.",
    });
    expect(recordViewText(view)).toBe("CT Chest\nConclusion: No acute cardiopulmonary findings.");
    expect(view.conclusion).toBe("No acute cardiopulmonary findings.");
  });

  it("a DiagnosticReport's findings come from its plain-text form; other forms are not shown", () => {
    const findings = "Lungs clear. Heart size normal — no effusion.";
    const view = diagnosticReportView({
      resourceType: "DiagnosticReport",
      conclusion: "Normal study.",
      presentedForm: [
        { contentType: "application/pdf", data: "JVBERi0=" },
        { contentType: "text/plain; charset=utf-8", data: base64Utf8(findings) },
      ],
    });
    expect(view.paragraphs).toEqual([`Findings: ${findings}`, "Conclusion: Normal study."]);
    expect(attachmentText({ contentType: "text/plain", data: "%%%" })).toBeUndefined();
  });

  it("reads in Hindi when the person chose it", async () => {
    // The language is read when the catalogue module loads: load a fresh copy that finds "hi".
    vi.resetModules();
    vi.stubGlobal("localStorage", { getItem: () => "hi", setItem: () => undefined });
    try {
      const fresh = await import("./fhir");
      const view = fresh.observationView({
        resourceType: "Observation",
        code: { text: "HbA1c" },
        valueQuantity: { value: 6.4, unit: "%" },
        interpretation: [{ coding: [{ code: "H", display: "High" }] }],
      });
      expect(view.facts).toEqual([
        { term: "परिणाम", value: "6.4 %" },
        { term: "व्याख्या", value: "अधिक" },
      ]);
      expect(fresh.recordViewText(fresh.recordView({ resourceType: "MedicationRequest" }))).toContain("इस प्रकार");
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });

  it("any other kind: its type and that there is no view yet", () => {
    expect(text({ resourceType: "MedicationRequest" })).toBe(`MedicationRequest\n${noViewYet()}`);
  });

  it("tolerates ill-typed fields and never shows JSON", () => {
    const odd = {
      resourceType: "Observation",
      code: { coding: "oops" },
      valueQuantity: { value: "6.4" },
      referenceRange: [null, 3],
      interpretation: {},
      effectiveDateTime: 12,
    } as unknown as FhirResource;
    const shown = text(odd);
    expect(shown).toBe("Observation\nResult: No value recorded");
    expect(shown).not.toContain("{");
  });

  it("dates: a calendar day is not shifted by the time zone; partial dates read as such", () => {
    expect(fhirDate("2019-06-14", "America/Los_Angeles")).toBe("14 Jun 2019");
    expect(fhirDate("2019-06")).toBe("Jun 2019");
    expect(fhirDate("2019")).toBe("2019");
    expect(fhirDate(undefined)).toBeUndefined();
  });
});

describe("decrypted bytes to a view", () => {
  const bytes = (s: string) => new TextEncoder().encode(s);

  it("reads UTF-8 JSON of a FHIR resource, refuses anything else", () => {
    expect(viewOfPlaintext(bytes('{"resourceType":"AllergyIntolerance","code":{"text":"Penicillin"}}'))?.title).toBe(
      "Penicillin",
    );
    expect(viewOfPlaintext(bytes("not json"))).toBeNull();
    expect(viewOfPlaintext(bytes('{"no":"type"}'))).toBeNull();
    expect(viewOfPlaintext(new Uint8Array([0xff, 0xfe]))).toBeNull();
    expect(asFhirResource([1, 2])).toBeNull();
  });

  it("says in words why a record did not open", () => {
    expect(recordProblemInWords(403, undefined)).toBe("You do not have access to this record.");
    expect(recordProblemInWords(404, { title: "Not Found", status: 404 })).toBe("This record was not found.");
    expect(recordProblemInWords(409, { detail: "the record was superseded" })).toBe(
      "This record cannot be opened right now. The record was superseded.",
    );
    expect(recordProblemInWords(0, undefined)).toMatch(/connection/);
  });
});
