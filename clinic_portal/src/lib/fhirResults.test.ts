import { describe, expect, it } from "vitest";
import {
  buildImagingReport,
  buildLabResult,
  chooseLabTest,
  emptyLabInput,
  interpret,
  LAB_TESTS,
  type LabInput,
} from "./fhirResults";
import { observationView, diagnosticReportView, recordViewText } from "./fhir";

const UHID = "12-3456-7890-1234";
const NOW = new Date(2025, 2, 3, 10, 30); // 3 Mar 2025, local time

function filled(test: LabInput["test"], value: string): LabInput {
  return { ...chooseLabTest(emptyLabInput(NOW), test), value };
}

describe("a lab result as a FHIR R4 Observation", () => {
  it("haemoglobin: LOINC code, UCUM unit, range, interpretation computed, status final, laboratory", () => {
    const built = buildLabResult(UHID, filled("hemoglobin", "10.2"), NOW);
    expect(built.ok).toBe(true);
    if (!built.ok) return;
    const obs = built.resource;
    expect(obs.status).toBe("final");
    expect(obs.category?.[0]?.coding?.[0]).toMatchObject({ code: "laboratory" });
    expect(obs.code?.text).toBe("Haemoglobin");
    expect(obs.code?.coding?.[0]).toEqual({
      system: "http://loinc.org",
      code: "718-7",
      display: "Hemoglobin [Mass/volume] in Blood",
    });
    expect(obs.valueQuantity).toEqual({ value: 10.2, unit: "g/dL", system: "http://unitsofmeasure.org", code: "g/dL" });
    expect(obs.referenceRange?.[0]?.low?.value).toBe(12);
    expect(obs.referenceRange?.[0]?.high?.value).toBe(16);
    expect(obs.interpretation?.[0]?.coding?.[0]).toMatchObject({ code: "L", display: "Low" });
    expect(built.interpretation).toBe("L");
    expect(obs.effectiveDateTime).toBe("2025-03-03");
    expect(obs.subject).toEqual({
      reference: "Patient/12345678901234",
      identifier: { system: "https://ohms.dev/fhir/sid/uhid", value: "12345678901234" },
    });
    // And it reads back to a person as the patient will see it.
    expect(recordViewText(observationView(obs, "UTC"))).toBe(
      "Haemoglobin\nResult: 10.2 g/dL\nNormal range: 12-16 g/dL\nInterpretation: Low\nDate: 3 Mar 2025",
    );
  });

  it("every test on the list has a LOINC code, a UCUM unit and a sensible range", () => {
    expect(LAB_TESTS.map((t) => t.loinc)).toEqual(["718-7", "2345-7", "2160-0", "4548-4", "3016-3", "6690-2", "777-3"]);
    for (const test of LAB_TESTS) {
      expect(test.range.low).toBeLessThan(test.range.high);
      expect(test.range.high).toBeLessThanOrEqual(test.max);
    }
    const tsh = buildLabResult(UHID, filled("tsh", "2,5"), NOW);
    expect(tsh.ok && tsh.resource.valueQuantity).toEqual({
      value: 2.5,
      unit: "mIU/L",
      system: "http://unitsofmeasure.org",
      code: "m[IU]/L",
    });
  });

  it("interpretation: high above, low below, normal within (bounds included)", () => {
    expect(interpret(17, { low: 12, high: 16 })).toBe("H");
    expect(interpret(16, { low: 12, high: 16 })).toBe("N");
    expect(interpret(12, { low: 12, high: 16 })).toBe("N");
    expect(interpret(11.9, { low: 12, high: 16 })).toBe("L");
    expect(interpret(300, { high: 200 })).toBe("H");
    expect(interpret(1, { low: 60 })).toBe("L");
  });

  it("without a range: no reference range and no interpretation", () => {
    const built = buildLabResult(UHID, { ...filled("glucose", "180"), low: "", high: "" }, NOW);
    expect(built.ok).toBe(true);
    if (!built.ok) return;
    expect(built.resource.referenceRange).toBeUndefined();
    expect(built.resource.interpretation).toBeUndefined();
    expect(built.interpretation).toBeNull();
  });

  it("refuses what is missing or wrong, field by field, before anything is sent", () => {
    const none = buildLabResult(UHID, emptyLabInput(NOW), NOW);
    expect(none.ok).toBe(false);
    if (!none.ok) expect(none.errors.map((e) => e.field)).toEqual(["test", "value"]);
    const wrong = buildLabResult(UHID, { ...filled("creatinine", "abc"), low: "2", high: "1", date: "2025-03-04" }, NOW);
    expect(wrong.ok).toBe(false);
    if (!wrong.ok) {
      expect(wrong.errors.map((e) => e.field)).toEqual(["value", "high", "date"]);
      expect(wrong.errors[0]?.message).toBe("The result must be a number from 0 to 40 mg/dL.");
      expect(wrong.errors[2]?.message).toMatch(/future/);
    }
    const huge = buildLabResult(UHID, filled("hba1c", "64"), NOW);
    expect(huge.ok).toBe(false);
    const badDay = buildLabResult(UHID, { ...filled("wbc", "5"), date: "2025-02-30" }, NOW);
    expect(!badDay.ok && badDay.errors.map((e) => e.field)).toEqual(["date"]);
  });

  it("choosing a test fills in its usual range; no test clears the choice", () => {
    const chosen = chooseLabTest(emptyLabInput(NOW), "platelets");
    expect(chosen).toMatchObject({ test: "platelets", low: "150", high: "400", date: "2025-03-03" });
    expect(chooseLabTest(chosen, "").test).toBe("");
  });
});

describe("a radiology report as a FHIR R4 DiagnosticReport", () => {
  it("category RAD, status final, the conclusion, the findings as plain text", () => {
    const built = buildImagingReport(UHID, { findings: "Lungs clear.", conclusion: "  Normal chest CT. " }, NOW);
    expect(built.ok).toBe(true);
    if (!built.ok) return;
    const report = built.resource;
    expect(report.status).toBe("final");
    expect(report.category?.[0]?.coding?.[0]).toMatchObject({ code: "RAD" });
    expect(report.conclusion).toBe("Normal chest CT.");
    expect(report.imagingStudy).toBeUndefined(); // the service links the study itself
    expect(report.subject?.reference).toBe("Patient/12345678901234");
    expect(recordViewText(diagnosticReportView(report, "UTC"))).toBe(
      "Imaging report\nDate: 3 Mar 2025\nFindings: Lungs clear.\nConclusion: Normal chest CT.",
    );
  });

  it("needs a conclusion; findings are optional", () => {
    const none = buildImagingReport(UHID, { findings: "x", conclusion: " " }, NOW);
    expect(!none.ok && none.errors).toEqual([{ field: "conclusion", message: "Write the conclusion." }]);
    const only = buildImagingReport(UHID, { findings: "", conclusion: "Normal." }, NOW);
    expect(only.ok && only.resource.presentedForm).toBeUndefined();
  });
});
