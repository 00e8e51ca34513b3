import { describe, expect, it } from "vitest";
import {
  bytesInWords,
  newUploadId,
  percentOf,
  previewPicks,
  stepInWords,
  uploadableFiles,
  uploadSteps,
  type UploadRow,
} from "./imaging";

function row(phase: string | null, status: UploadRow["status"] = "processing"): UploadRow {
  return {
    upload_id: "u",
    status,
    phase,
    instances_done: 0,
    instances_total: null,
    bytes_done: 0,
    bytes_total: null,
    study_id: null,
    error_status: null,
    error_detail: null,
    created_at: "2025-03-03T10:00:00Z",
    updated_at: "2025-03-03T10:00:00Z",
  };
}

const states = (steps: ReturnType<typeof uploadSteps>) => steps.map((s) => s.state).join(" ");

describe("the steps of an upload", () => {
  it("sending first, then the server's phases in order; a later phase marks earlier ones done", () => {
    expect(uploadSteps({ sent: false, row: null, outcome: null }).map((s) => s.step)).toEqual([
      "sending",
      "validating",
      "storing",
      "archiving",
      "encrypting",
      "filing",
    ]);
    expect(states(uploadSteps({ sent: false, row: null, outcome: null }))).toBe(
      "current waiting waiting waiting waiting waiting",
    );
    expect(states(uploadSteps({ sent: true, row: null, outcome: null }))).toBe(
      "done current waiting waiting waiting waiting",
    );
    expect(states(uploadSteps({ sent: true, row: row("encrypting"), outcome: null }))).toBe(
      "done done done done current waiting",
    );
  });

  it("the end: all done when filed; the running step failed when refused", () => {
    expect(states(uploadSteps({ sent: true, row: null, outcome: "completed" }))).toBe("done done done done done done");
    expect(states(uploadSteps({ sent: true, row: row(null, "completed"), outcome: null }))).toBe(
      "done done done done done done",
    );
    expect(states(uploadSteps({ sent: true, row: row("validating"), outcome: "failed" }))).toBe(
      "done failed waiting waiting waiting waiting",
    );
    expect(states(uploadSteps({ sent: false, row: null, outcome: "failed" }))).toBe(
      "failed waiting waiting waiting waiting waiting",
    );
  });

  it("each step reads as words", () => {
    expect(stepInWords("validating")).toBe("Checking the DICOM files");
    expect(stepInWords("encrypting")).toBe("Encrypting the archive for the patient");
  });
});

describe("numbers of an upload", () => {
  it("percentages are whole, capped, and 0 when the total is unknown", () => {
    expect(percentOf(0, 100)).toBe(0);
    expect(percentOf(999, 1000)).toBe(99);
    expect(percentOf(1000, 1000)).toBe(100);
    expect(percentOf(1200, 1000)).toBe(100);
    expect(percentOf(5, null)).toBe(0);
  });

  it("sizes in words", () => {
    expect(bytesInWords(3_200_000)).toMatch(/^3\.2\s?MB$/);
    expect(bytesInWords(640_000)).toMatch(/^640\s?kB$/);
    expect(bytesInWords(12)).toMatch(/^12 bytes?$/);
  });

  it("upload ids are version 4 UUIDs", () => {
    const id = newUploadId((b) => b.fill(0xff));
    expect(id).toBe("ffffffff-ffff-4fff-bfff-ffffffffffff");
    expect(newUploadId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("only real files are sent (not hidden or empty ones)", () => {
    const files = [
      { name: "a.dcm", size: 10 },
      { name: ".DS_Store", size: 6 },
      { name: "empty.dcm", size: 0 },
    ];
    expect(uploadableFiles(files).map((f) => f.name)).toEqual(["a.dcm"]);
  });
});

describe("which images to preview", () => {
  const series = [{ instances: ["a", "b", "c", "d", "e", "f"] }, { instances: ["g", "h", "i", "j", "k", "l"] }];

  it("spread over the study, in order, each once", () => {
    expect(previewPicks(series, 4)).toEqual(["b", "e", "h", "k"]);
    expect(previewPicks(series, 1)).toEqual(["g"]); // the middle
    expect(previewPicks([{ instances: ["x", "y"] }], 4)).toEqual(["x", "y"]);
    expect(previewPicks([], 4)).toEqual([]);
    expect(previewPicks(series, 0)).toEqual([]);
  });
});
