import { describe, expect, it, vi } from "vitest";
import {
  problemFieldErrors,
  accessTargetInWords,
  accessWhat,
  asSentence,
  basisInWords,
  categoryInWords,
  consentStatusBadge,
  formatDate,
  formatDateTime,
  formatUhid,
  humanise,
  newestFirst,
  normaliseUhid,
  parseApiDate,
  problemDetail,
  purposeInWords,
  roleInWords,
  rolesInWords,
  scopeInWords,
} from "./format";

describe("UHID", () => {
  it("groups 14 digits as NN-NNNN-NNNN-NNNN, like the API's uhid_display", () => {
    expect(formatUhid("12345678901234")).toBe("12-3456-7890-1234");
    expect(formatUhid("12 3456 7890 1234")).toBe("12-3456-7890-1234");
  });
  it("leaves what is not a UHID as typed", () => {
    expect(formatUhid("1234")).toBe("1234");
  });
  it("normalises typed UHIDs and refuses wrong lengths", () => {
    expect(normaliseUhid(" 12-3456-7890-1234 ")).toBe("12345678901234");
    expect(normaliseUhid("12-3456-7890-123")).toBeNull();
    expect(normaliseUhid("12-3456-7890-123x")).toBeNull();
  });
});

describe("roles", () => {
  it("names known roles in words", () => {
    expect(roleInWords("patient")).toBe("Patient");
    expect(roleInWords("lab_technician")).toBe("Lab technician");
    expect(roleInWords("org_admin")).toBe("Organisation administrator");
  });
  it("humanises unknown roles and joins several without repeats", () => {
    expect(roleInWords("night_porter")).toBe("Night porter");
    expect(rolesInWords(["physician", "nurse", "physician"])).toBe("Physician, Nurse");
    expect(rolesInWords([])).toBe("No role");
  });
});

describe("record categories", () => {
  it("words the API's categories", () => {
    expect(categoryInWords("lab", "Observation")).toBe("Lab result");
    expect(categoryInWords("allergy", "AllergyIntolerance")).toBe("Allergy");
    expect(categoryInWords("condition", "Condition")).toBe("Condition");
    expect(categoryInWords("imaging", "ImagingStudy")).toBe("Imaging study");
    expect(categoryInWords("vital_signs", "Observation")).toBe("Vital signs");
  });
  it("lets the FHIR type decide within broad categories", () => {
    expect(categoryInWords("document", "Composition")).toBe("Note");
    expect(categoryInWords("document", "DocumentReference")).toBe("Document");
    expect(categoryInWords("document", "Goal")).toBe("Note");
    expect(categoryInWords("lab", "DiagnosticReport")).toBe("Lab report");
  });
  it("never shows a raw code", () => {
    expect(categoryInWords("care_team")).toBe("Care team");
  });
});

describe("consent wording", () => {
  it("words scopes", () => {
    expect(scopeInWords("category:all")).toBe("All records");
    expect(scopeInWords("category:lab")).toBe("All lab results");
    expect(scopeInWords("category:allergy")).toBe("All allergies");
    expect(scopeInWords("record:3f1c2a9e-0000-4000-8000-000000000001")).toBe("One record");
  });
  it("words purposes and statuses", () => {
    expect(purposeInWords("claim")).toBe("Insurance claim");
    expect(consentStatusBadge("active")).toEqual({ label: "Active", tone: "active" });
    expect(consentStatusBadge("pending").tone).toBe("pending");
    expect(consentStatusBadge("rejected")).toEqual({ label: "Not accepted", tone: "revoked" });
  });
});

describe("access log wording", () => {
  it("names the target and the action", () => {
    expect(accessTargetInWords("search:all")).toBe("All records");
    expect(accessTargetInWords("category:imaging")).toBe("All imaging");
    expect(accessTargetInWords("record:abc")).toBe("A record");
    expect(accessTargetInWords("record:abc", (id) => (id === "abc" ? "Lab result of 3 Mar 2025" : undefined))).toBe(
      "Lab result of 3 Mar 2025",
    );
    expect(accessWhat("search", "search:lab")).toBe("Searched all lab results");
    expect(accessWhat("read", "record:x")).toBe("Opened a record");
    expect(accessWhat("write", "category:imaging")).toBe("Added a record (Imaging)");
    expect(basisInWords("break_glass")).toBe("Emergency access without consent");
  });
});

describe("problem+json", () => {
  it("shows the detail as a sentence", () => {
    expect(
      problemDetail({ type: "about:blank", title: "Not Found", status: 404, detail: "no person has this UHID" }),
    ).toBe("No person has this UHID.");
    expect(problemDetail({ title: "Forbidden", status: 403, detail: "Access denied!" })).toBe("Access denied!");
  });
  it("falls back to field errors, then the status, never raw JSON", () => {
    expect(
      problemDetail({ title: "Unprocessable Entity", status: 422, errors: [{ loc: ["body"], msg: "field required" }] }),
    ).toBe("Field required.");
    expect(problemDetail({ title: "Forbidden", status: 403, detail: null })).toBe("You do not have access to this.");
    expect(problemDetail("<html>Bad gateway</html>", 502)).toBe(
      "A service we depend on did not answer. Please try again.",
    );
    expect(problemDetail(undefined, 0)).toMatch(/Could not reach the service/);
    expect(problemDetail(undefined)).toBe("Something went wrong. Please try again.");
  });
  it("makes sentences", () => {
    expect(asSentence("the session has ended; sign in again")).toBe("The session has ended; sign in again.");
    expect(asSentence("")).toBe("");
    expect(humanise("")).toBe("Unknown");
  });
});

describe("dates", () => {
  it("formats dates and date-times in a given time zone", () => {
    expect(formatDate("2025-03-03T23:30:00Z", "UTC")).toBe("3 Mar 2025");
    expect(formatDate("2025-03-03T23:30:00Z", "Asia/Kolkata")).toBe("4 Mar 2025");
    expect(formatDateTime("2025-03-03T14:05:00+00:00", "UTC")).toBe("3 Mar 2025, 14:05");
    expect(formatDate("2000-01-02", "UTC")).toBe("2 Jan 2000");
  });
  it("takes a time without an offset as UTC and survives bad input", () => {
    expect(parseApiDate("2025-03-03T14:05:00")?.toISOString()).toBe("2025-03-03T14:05:00.000Z");
    expect(formatDate("not a date")).toBe("Unknown date");
    expect(formatDate(null)).toBe("No date");
  });
  it("orders newest first without changing the input", () => {
    const items = [{ at: "2024-01-01T00:00:00Z" }, { at: "2025-06-01T00:00:00Z" }, { at: "2024-12-31T00:00:00Z" }];
    expect(newestFirst(items, (i) => i.at).map((i) => i.at.slice(0, 4))).toEqual(["2025", "2024", "2024"]);
    expect(newestFirst(items, (i) => i.at)[2]?.at).toBe("2024-01-01T00:00:00Z");
    expect(items[0]?.at).toBe("2024-01-01T00:00:00Z");
  });
});

describe("problemFieldErrors", () => {
  it("lists a validation problem's field errors in words, where and why", () => {
    expect(
      problemFieldErrors({
        status: 422,
        detail: "The request is not valid",
        errors: [{ loc: ["body", "code"], msg: "field required" }, { msg: "too long" }, { loc: ["x"] }],
      }),
    ).toEqual(["body.code: Field required.", "Too long."]);
    expect(problemFieldErrors({ status: 403, detail: "no grant" })).toEqual([]);
    expect(problemFieldErrors(undefined)).toEqual([]);
  });
});

describe("in Hindi", () => {
  it("words codes and dates in the language the person chose", async () => {
    // The language is read when src/i18n loads: a fresh copy of the modules, for a Hindi browser.
    vi.resetModules();
    vi.stubGlobal("navigator", { language: "hi-IN" });
    try {
      const hindi = await import("./format");
      expect(hindi.roleInWords("physician")).toBe("चिकित्सक");
      expect(hindi.scopeInWords("category:lab")).toBe("सभी लैब परिणाम");
      expect(hindi.consentStatusBadge("active")).toEqual({ label: "सक्रिय", tone: "active" });
      expect(hindi.accessWhat("read", "record:x")).toBe("एक रिकॉर्ड खोला");
      expect(hindi.problemDetail(undefined, 403)).toBe("आपको इसकी पहुँच नहीं है।");
      expect(hindi.formatDate("2025-03-03T10:00:00Z", "UTC")).toBe("3 मार्च 2025");
      const sharing = await import("./sharing");
      expect(sharing.purposePhrase("treatment")).toBe("इलाज के लिए");
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });
});
