import { describe, expect, it } from "vitest";
import { checkProfile, parseLanguages, profileBody, profileFormOf, profilePreview, profileRefusalField } from "./profileForm";

const blank = profileFormOf(null);

describe("the practitioner's profile form", () => {
  it("starts from what the directory shows", () => {
    const form = profileFormOf({
      specialty: "Internal medicine",
      specialty_code: "419192003",
      languages: ["en", "hi"],
      fee: { amount: "500.00", currency: "INR" },
    });
    expect(form).toEqual({
      specialty: "Internal medicine",
      specialtyCode: "419192003",
      languages: "en, hi",
      feeAmount: "500.00",
      feeCurrency: "INR",
    });
    expect(blank.feeCurrency).toBe("INR");
  });

  it("reads languages as people type them", () => {
    expect(parseLanguages(" EN, hi;mr  hi ")).toEqual(["en", "hi", "mr"]);
    expect(parseLanguages("en-IN")).toEqual(["en-IN"]);
    expect(parseLanguages("")).toEqual([]);
  });

  it("checks each field as the service does", () => {
    expect(checkProfile(blank)).toEqual({});
    expect(checkProfile({ ...blank, specialtyCode: "12ab" }).specialtyCode).toBe("scheduling.profile.check.code");
    expect(checkProfile({ ...blank, languages: "english" }).languages).toBe("scheduling.profile.check.language");
    expect(checkProfile({ ...blank, feeAmount: "5,00" }).feeAmount).toBe("scheduling.profile.check.amount");
    expect(checkProfile({ ...blank, feeAmount: "500", feeCurrency: "RUPEES" }).feeCurrency).toBe(
      "scheduling.profile.check.currency",
    );
    expect(checkProfile({ ...blank, feeAmount: "500", feeCurrency: "usd" })).toEqual({});
  });

  it("sends blank fields as not set, and previews the entry", () => {
    const form = { ...blank, specialty: " Cardiology ", languages: "en, hi", feeAmount: "750.5", feeCurrency: "inr" };
    expect(profileBody(form)).toEqual({
      specialty: "Cardiology",
      specialty_code: null,
      languages: ["en", "hi"],
      fee: { amount: "750.5", currency: "INR" },
    });
    const current = { name: "Dr. A", specialty: null, specialty_code: null, languages: [], fee: null };
    expect(profilePreview(current, form)).toMatchObject({ name: "Dr. A", specialty: "Cardiology", fee: { currency: "INR" } });
    expect(profileBody(blank).fee).toBeNull();
  });

  it("puts a refusal next to the field it names", () => {
    expect(profileRefusalField({ errors: [{ loc: ["body", "fee", "currency"] }] })).toBe("feeCurrency");
    expect(profileRefusalField({ errors: [{ loc: ["body", "languages", 0] }] })).toBe("languages");
    expect(profileRefusalField({ detail: "only the practitioner" })).toBe("form");
  });
});
