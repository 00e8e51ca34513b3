import { describe, expect, it } from "vitest";
import { canWriteRecords } from "../components/StaffHome";
import { recordView, recordViewText, type FhirResource } from "./fhir";
import {
  base64Utf8,
  buildAllergy,
  buildDiagnosis,
  buildNote,
  buildVitals,
  EMPTY_ALLERGY,
  EMPTY_DIAGNOSIS,
  EMPTY_VITALS,
  parseNumber,
  patientReference,
  UHID_SYSTEM,
  vitalError,
  type Built,
  type WrittenResource,
} from "./fhirWrite";

const UHID = "12345678901234";
const NOW = new Date("2026-03-03T10:15:00Z");
const SUBJECT = { reference: `Patient/${UHID}`, identifier: { system: UHID_SYSTEM, value: UHID } };

function resources<F extends string>(built: Built<F>): WrittenResource[] {
  if (!built.ok) throw new Error(`refused: ${built.errors.map((e) => e.message).join(" ")}`);
  return built.items.map((i) => i.resource);
}

function only<F extends string>(built: Built<F>): WrittenResource {
  const all = resources(built);
  expect(all).toHaveLength(1);
  return all[0] as WrittenResource;
}

function messages<F extends string>(built: Built<F>): string[] {
  if (built.ok) throw new Error("accepted");
  return built.errors.map((e) => e.message);
}

const asJson = (r: WrittenResource) => JSON.parse(JSON.stringify(r)) as Record<string, unknown>;

describe("the patient reference", () => {
  it("names the patient as the API checks it: Patient/<UHID> and the UHID system", () => {
    expect(patientReference("12-3456-7890-1234")).toEqual(SUBJECT);
    expect(UHID_SYSTEM).toBe("https://ohms.dev/fhir/sid/uhid");
  });
});

describe("a note", () => {
  it("is a current DocumentReference, a LOINC progress note, with the text as its description", () => {
    const doc = only(buildNote(UHID, { text: "  Feels better; continue.  " }, NOW));
    expect(doc).toMatchObject({
      resourceType: "DocumentReference",
      status: "current",
      type: { coding: [{ system: "http://loinc.org", code: "11506-3", display: "Progress note" }] },
      subject: SUBJECT,
      description: "Feels better; continue.",
      date: "2026-03-03T10:15:00.000Z",
    });
    // FHIR R4 requires content: the text as a UTF-8 attachment.
    expect(doc.resourceType === "DocumentReference" && doc.content?.[0]?.attachment?.data).toBe(
      base64Utf8("Feels better; continue."),
    );
    expect(recordViewText(recordView(doc as FhirResource, "UTC"))).toContain("Feels better; continue.");
  });

  it("needs some text", () => {
    expect(messages(buildNote(UHID, { text: "   " }, NOW))).toEqual(["Write the note."]);
  });

  it("encodes text beyond Latin-1 as UTF-8", () => {
    expect(base64Utf8("°C é")).toBe("wrBDIMOp");
  });
});

describe("a diagnosis", () => {
  it("is a confirmed Condition with the terminology systems of its statuses and a SNOMED CT coding", () => {
    const condition = asJson(
      only(
        buildDiagnosis(
          UHID,
          { diagnosis: "Essential hypertension", snomed: "59621000", status: "active", onset: "2025-11-20" },
          NOW,
        ),
      ),
    );
    expect(condition).toMatchObject({
      resourceType: "Condition",
      clinicalStatus: {
        coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-clinical", code: "active" }],
      },
      verificationStatus: {
        coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-ver-status", code: "confirmed" }],
      },
      code: {
        text: "Essential hypertension",
        coding: [{ system: "http://snomed.info/sct", code: "59621000", display: "Essential hypertension" }],
      },
      subject: SUBJECT,
      onsetDateTime: "2025-11-20",
    });
  });

  it("without a code is text only, and can be resolved, without an onset", () => {
    const condition = asJson(
      only(buildDiagnosis(UHID, { ...EMPTY_DIAGNOSIS, diagnosis: "Asthma", status: "resolved" }, NOW)),
    );
    expect(condition["code"]).toEqual({ text: "Asthma" });
    expect(condition["clinicalStatus"]).toMatchObject({ coding: [{ code: "resolved" }] });
    expect(condition).not.toHaveProperty("onsetDateTime");
  });

  it("refuses a missing diagnosis, a malformed code and an onset in the future", () => {
    expect(
      messages(buildDiagnosis(UHID, { diagnosis: " ", snomed: "12ab", status: "active", onset: "2026-03-04" }, NOW)),
    ).toEqual([
      "Enter the diagnosis.",
      "A SNOMED CT code is 6 to 18 digits (or leave it empty).",
      "The onset cannot be in the future.",
    ]);
    expect(messages(buildDiagnosis(UHID, { ...EMPTY_DIAGNOSIS, diagnosis: "X", onset: "2025-02-30" }, NOW))).toEqual([
      "The onset is a date (year, month, day).",
    ]);
  });
});

describe("an allergy", () => {
  it("is an active AllergyIntolerance of the patient, with criticality and reaction", () => {
    const allergy = asJson(
      only(buildAllergy(UHID, { substance: "Latex", criticality: "high", reaction: "Hives" }, NOW)),
    );
    expect(allergy).toMatchObject({
      resourceType: "AllergyIntolerance",
      patient: SUBJECT,
      code: { text: "Latex" },
      criticality: "high",
      clinicalStatus: {
        coding: [{ system: "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", code: "active" }],
      },
      reaction: [{ manifestation: [{ text: "Hives" }] }],
    });
    expect(allergy).not.toHaveProperty("subject");
  });

  it("leaves out an empty reaction and needs the substance and the criticality", () => {
    const allergy = asJson(only(buildAllergy(UHID, { substance: "Penicillin", criticality: "unable-to-assess", reaction: " " }, NOW)));
    expect(allergy).not.toHaveProperty("reaction");
    expect(allergy["criticality"]).toBe("unable-to-assess");
    expect(messages(buildAllergy(UHID, EMPTY_ALLERGY, NOW))).toEqual(["Enter the substance.", "Choose the criticality."]);
  });
});

describe("vital signs", () => {
  it("are one vital-signs Observation per filled field, with LOINC codes and UCUM units", () => {
    const obs = resources(
      buildVitals(
        UHID,
        { heartRate: "72", temperature: "36,8", systolic: "", diastolic: "", respiratoryRate: "16", spo2: "98", weight: "70.5" },
        NOW,
      ),
    ).map(asJson);
    expect(obs).toHaveLength(5);
    for (const o of obs) {
      expect(o).toMatchObject({
        resourceType: "Observation",
        status: "final",
        category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "vital-signs" }] }],
        subject: SUBJECT,
        effectiveDateTime: "2026-03-03T10:15:00.000Z",
      });
    }
    const summary = obs.map((o) => {
      const code = (o["code"] as { coding: { system: string; code: string }[] }).coding[0];
      const q = o["valueQuantity"] as { value: number; system: string; code: string };
      return [code?.system, code?.code, q.value, q.system, q.code];
    });
    expect(summary).toEqual([
      ["http://loinc.org", "8867-4", 72, "http://unitsofmeasure.org", "/min"],
      ["http://loinc.org", "8310-5", 36.8, "http://unitsofmeasure.org", "Cel"],
      ["http://loinc.org", "9279-1", 16, "http://unitsofmeasure.org", "/min"],
      ["http://loinc.org", "59408-5", 98, "http://unitsofmeasure.org", "%"],
      ["http://loinc.org", "29463-7", 70.5, "http://unitsofmeasure.org", "kg"],
    ]);
  });

  it("make blood pressure one panel with systolic and diastolic components in mm[Hg]", () => {
    const bp = asJson(only(buildVitals(UHID, { ...EMPTY_VITALS, systolic: "128", diastolic: "82" }, NOW)));
    expect(bp["code"]).toMatchObject({ coding: [{ system: "http://loinc.org", code: "85354-9" }] });
    expect(bp).not.toHaveProperty("valueQuantity");
    expect(bp["component"]).toEqual([
      {
        code: { coding: [{ system: "http://loinc.org", code: "8480-6", display: "Systolic blood pressure" }] },
        valueQuantity: { value: 128, unit: "mmHg", system: "http://unitsofmeasure.org", code: "mm[Hg]" },
      },
      {
        code: { coding: [{ system: "http://loinc.org", code: "8462-4", display: "Diastolic blood pressure" }] },
        valueQuantity: { value: 82, unit: "mmHg", system: "http://unitsofmeasure.org", code: "mm[Hg]" },
      },
    ]);
  });

  it("are checked before sending, with messages in words", () => {
    expect(messages(buildVitals(UHID, { ...EMPTY_VITALS, heartRate: "400" }, NOW))).toEqual([
      "Heart rate must be between 20 and 300 /min.",
    ]);
    expect(vitalError("heartRate", "seventy")).toBe("Heart rate must be a whole number between 20 and 300 /min.");
    expect(vitalError("temperature", "50")).toBe("Temperature must be between 25 and 45 °C.");
    expect(vitalError("spo2", "101")).toBe("SpO2 must be between 50 and 100 %.");
    expect(vitalError("weight", "0")).toBe("Weight must be between 0.2 and 500 kg.");
    expect(vitalError("respiratoryRate", "")).toBeNull();
    expect(messages(buildVitals(UHID, EMPTY_VITALS, NOW))).toEqual(["Enter at least one vital sign."]);
    expect(messages(buildVitals(UHID, { ...EMPTY_VITALS, systolic: "120" }, NOW))).toEqual([
      "Enter the diastolic pressure too (blood pressure needs both).",
    ]);
    expect(messages(buildVitals(UHID, { ...EMPTY_VITALS, systolic: "80", diastolic: "90" }, NOW))).toEqual([
      "The systolic pressure must be higher than the diastolic.",
    ]);
  });

  it("read numbers as typed: whole numbers where counts are, a decimal comma too", () => {
    expect(parseNumber("36,6", false)).toBe(36.6);
    expect(parseNumber("72.5", true)).toBeNull();
    expect(parseNumber("-5", false)).toBeNull();
  });
});

describe("who writes for a patient", () => {
  it("physicians and nurses with record:write; not others", () => {
    expect(canWriteRecords({ roles: ["physician"], permissions: ["patient:read", "record:write"] })).toBe(true);
    expect(canWriteRecords({ roles: ["nurse"], permissions: ["record:write"] })).toBe(true);
    expect(canWriteRecords({ roles: ["physician"], permissions: ["patient:read"] })).toBe(false);
    expect(canWriteRecords({ roles: ["lab_technician"], permissions: ["record:write"] })).toBe(false);
  });
});
