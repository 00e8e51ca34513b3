import { describe, expect, it } from "vitest";
import {
  compareAmounts,
  formatMoney,
  fromMinor,
  isPositive,
  parseAmount,
  parseUnitPrice,
  percentToRate,
  rateToPercent,
  sumMoney,
  toMinor,
} from "./money";

describe("minor units", () => {
  it("reads decimal strings exactly", () => {
    expect(toMinor("1500.50")).toBe(150050n);
    expect(toMinor("0.1")).toBe(10n);
    expect(toMinor("7")).toBe(700n);
    expect(toMinor("12.5000")).toBe(1250n);
    expect(toMinor("9999999999.99")).toBe(999999999999n);
  });

  it("refuses what is not an amount of cents", () => {
    expect(toMinor("1.005")).toBeNull();
    expect(toMinor("-1")).toBeNull();
    expect(toMinor("1e3")).toBeNull();
    expect(toMinor("")).toBeNull();
    expect(toMinor("abc")).toBeNull();
  });

  it("writes minor units back as the API's decimal string", () => {
    expect(fromMinor(150050n)).toBe("1500.50");
    expect(fromMinor(5n)).toBe("0.05");
    expect(fromMinor(0n)).toBe("0.00");
    expect(fromMinor(-125n)).toBe("-1.25");
  });

  it("sums where binary floats would drift", () => {
    // 0.1 + 0.2 in floats is 0.30000000000000004.
    expect(sumMoney([{ amount: "0.10", currency: "INR" }, { amount: "0.20", currency: "INR" }], "INR")).toEqual({
      amount: "0.30",
      currency: "INR",
    });
    expect(sumMoney([], "INR").amount).toBe("0.00");
  });

  it("compares amounts", () => {
    expect(compareAmounts("100.00", "100")).toBe(0);
    expect(compareAmounts("100.01", "100")).toBe(1);
    expect(compareAmounts("99.99", "100")).toBe(-1);
    expect(compareAmounts("x", "100")).toBeNull();
    expect(isPositive("0.00")).toBe(false);
    expect(isPositive("0.01")).toBe(true);
  });
});

describe("typed amounts and rates", () => {
  it("parses a typed amount", () => {
    expect(parseAmount("1,500.5")).toBe("1500.50");
    expect(parseAmount(" 200 ")).toBe("200.00");
    expect(parseAmount("1.234")).toBeNull();
    expect(parseAmount("-5")).toBeNull();
    expect(parseAmount("")).toBeNull();
  });

  it("parses a unit price with up to four decimals", () => {
    expect(parseUnitPrice("12.3456")).toBe("12.3456");
    expect(parseUnitPrice("0500")).toBe("500");
    expect(parseUnitPrice("1.23456")).toBeNull();
  });

  it("turns a percentage into the API's fraction by moving digits", () => {
    expect(percentToRate("18")).toBe("0.18");
    expect(percentToRate("12.5")).toBe("0.125");
    expect(percentToRate("0.05")).toBe("0.0005");
    expect(percentToRate("0")).toBe("0");
    expect(percentToRate("100")).toBe("1");
    expect(percentToRate("20 %")).toBe("0.2");
    expect(percentToRate("100.5")).toBeNull();
    expect(percentToRate("100", 99.99)).toBeNull();
    expect(percentToRate("1.234")).toBeNull();
    expect(percentToRate("abc")).toBeNull();
  });

  it("shows the API's fraction as a percentage", () => {
    expect(rateToPercent("0.1800")).toBe("18");
    expect(rateToPercent("0.125")).toBe("12.5");
    expect(rateToPercent("1")).toBe("100");
    expect(rateToPercent("0")).toBe("0");
  });
});

describe("formatMoney", () => {
  it("formats the decimal string in the locale's way", () => {
    expect(formatMoney({ amount: "150000.50", currency: "INR" }, "en-IN")).toBe("₹1,50,000.50");
    expect(formatMoney({ amount: "0.10", currency: "USD" }, "en-US")).toBe("$0.10");
  });

  it("keeps digits a float would lose", () => {
    expect(formatMoney({ amount: "9007199254740993.00", currency: "USD" }, "en-US")).toBe("$9,007,199,254,740,993.00");
  });

  it("falls back to the amount and code for an unknown currency", () => {
    expect(formatMoney({ amount: "5.00", currency: "not-a-code" }, "en-IN")).toBe("5.00 not-a-code");
  });
});
