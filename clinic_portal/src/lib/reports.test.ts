import { describe, expect, it } from "vitest";
import {
  barFractions,
  centsOf,
  centsText,
  claimParties,
  coveragePays,
  formatMoney,
  percentOf,
  rateFromPercent,
  sumAmounts,
  thisMonth,
  typedCents,
} from "./reports";

describe("money as cents", () => {
  it("reads the API's decimal strings at any scale", () => {
    expect(centsOf("849.6")).toBe(84960n);
    expect(centsOf("1744")).toBe(174400n);
    expect(centsOf("-12.345")).toBe(-1235n);
    expect(centsOf("0.0049")).toBe(0n);
    expect(centsOf("abc")).toBeNull();
  });
  it("reads typed amounts with at most two decimals", () => {
    expect(typedCents(" 12.5 ")).toBe(1250n);
    expect(typedCents("12.345")).toBeNull();
    expect(typedCents("-1")).toBeNull();
  });
  it("adds to the cent where floats would not", () => {
    expect(sumAmounts(["0.10", "0.20"])).toBe("0.30");
    expect(sumAmounts(["531.00", "413", "800.0"])).toBe("1744.00");
    expect(centsText(-5n)).toBe("-0.05");
  });
  it("shows an amount without its scale to the cent", () => {
    expect(formatMoney({ amount: "849.6", currency: "INR" })).toContain("849.60");
    expect(formatMoney({ amount: "1744", currency: "INR" })).toMatch(/1,?744\.00/);
  });
});

describe("rates", () => {
  it("shows a rate as a percentage", () => {
    expect(percentOf("0.18")).toBe("18");
    expect(percentOf("0.1250")).toBe("12.5");
    expect(percentOf("0")).toBe("0");
    expect(percentOf("0.05")).toBe("5");
  });
  it("turns a typed percentage into the API's rate", () => {
    expect(rateFromPercent("18")).toBe("0.18");
    expect(rateFromPercent("12.5")).toBe("0.125");
    expect(rateFromPercent("5")).toBe("0.05");
    expect(rateFromPercent("0")).toBe("0");
    expect(rateFromPercent("100")).toBeNull();
    expect(rateFromPercent("1.234")).toBeNull();
  });
});

describe("report period and charts", () => {
  it("defaults to this month so far", () => {
    expect(thisMonth(new Date(2026, 10, 30, 12))).toEqual({ from: "2026-11-01", to: "2026-11-30" });
  });
  it("scales bars to the longest", () => {
    const bars = [
      { label: "a", cents: 100n, text: "" },
      { label: "b", cents: 50n, text: "" },
      { label: "c", cents: -5n, text: "" },
    ];
    expect(barFractions(bars)).toEqual([1, 0.5, 0]);
    expect(barFractions([{ label: "z", cents: 0n, text: "" }])).toEqual([0]);
  });
});

describe("claims", () => {
  it("computes the coverage's share as the API does", () => {
    expect(coveragePays("1744.00", "100.00", "0.2000")).toBe("1315.20");
    expect(coveragePays("50.00", "100.00", "0.20")).toBe("0.00");
    expect(coveragePays("10.01", "0", "0.5")).toBe("5.01"); // 5.005 rounds half up
  });
  it("reads the parties of a FHIR Claim", () => {
    const claim = {
      resourceType: "Claim",
      patient: { identifier: { system: "x", value: "12345678901234" } },
      provider: { reference: "Organization/1", display: "City General Hospital" },
      insurance: [{ sequence: 1, focal: true, coverage: { reference: "Coverage/abc" } }],
    };
    expect(claimParties(claim)).toEqual({ patient: "12345678901234", provider: "City General Hospital", coverage: "abc" });
    expect(claimParties(null)).toEqual({ patient: null, provider: null, coverage: null });
  });
});
