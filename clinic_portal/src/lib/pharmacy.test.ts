import { describe, expect, it } from "vitest";
import {
  allergyCheckInWords,
  allergyNamed,
  allergyWarning,
  amountText,
  firstExpiryFirst,
  formatDay,
  isRxcui,
  packsLeft,
  wholeNumber,
} from "./pharmacy";

describe("allergyWarning", () => {
  it("names the allergy of a 409 allergy warning and nothing else", () => {
    const problem = { type: "https://ohms.example/problems/allergy-warning", detail: "matches Penicillin" };
    expect(allergyWarning(problem, 409)).toBe("matches Penicillin");
    expect(allergyWarning(problem, 422)).toBeNull();
    expect(allergyWarning({ type: "https://ohms.example/problems/conflict", detail: "x" }, 409)).toBeNull();
    expect(allergyWarning(undefined, 409)).toBeNull();
    expect(allergyWarning({ type: "x/allergy-warning" }, 409)).toBe("");
  });
});

describe("allergyNamed", () => {
  it("keeps the allergy and the reason, not the record id or the API's field name", () => {
    const detail =
      "allergy warning: amoxicillin 500 MG Oral Capsule matches the patient's recorded allergy Penicillin " +
      "(record 96b4b72a-05c5-4eef-b05b-b4245d6656b2: class penicillins (ATC J01C)). Give `allergy_override_reason` to prescribe it anyway";
    expect(allergyNamed(detail)).toBe("Penicillin (class penicillins (ATC J01C))");
    expect(allergyNamed("something else")).toBeNull();
  });
});

describe("allergyCheckInWords", () => {
  it("says plainly when the service could not check", () => {
    expect(allergyCheckInWords("client")).toContain("keeps its own keys");
    expect(allergyCheckInWords("partial")).toContain("could not be read");
    expect(allergyCheckInWords("passed")).toContain("passed");
  });
});

describe("typed numbers and codes", () => {
  it("accepts whole numbers only", () => {
    expect(wholeNumber("12")).toBe(12);
    expect(wholeNumber(" 3 ")).toBe(3);
    expect(wholeNumber("0")).toBeNull();
    expect(wholeNumber("0", 0)).toBe(0);
    expect(wholeNumber("2.5")).toBeNull();
    expect(wholeNumber("1e3")).toBeNull();
    expect(wholeNumber("")).toBeNull();
  });
  it("checks RxNorm codes and amounts", () => {
    expect(isRxcui("308191")).toBe(true);
    expect(isRxcui("30819a")).toBe(false);
    expect(amountText("12.5")).toBe("12.50");
    expect(amountText("7")).toBe("7.00");
    expect(amountText("1.234")).toBeNull();
    expect(amountText("-1")).toBeNull();
  });
});

describe("lots and orders", () => {
  it("orders lots first expiry first out", () => {
    const lots = [
      { lot_number: "B", expiry: "2027-06-30" },
      { lot_number: "A", expiry: "2027-01-31" },
      { lot_number: "C", expiry: "2027-01-31" },
    ];
    expect(firstExpiryFirst(lots).map((l) => l.lot_number)).toEqual(["A", "C", "B"]);
  });
  it("counts packs left to receive and reads days without time-zone shifts", () => {
    expect(packsLeft({ quantity: 10, received: 4 })).toBe(6);
    expect(packsLeft({ quantity: 2, received: 3 })).toBe(0);
    expect(formatDay("2027-01-31")).toContain("31");
  });
});
