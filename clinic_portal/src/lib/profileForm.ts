// A practitioner's directory profile as a form: specialty (a SNOMED CT code and/or a plain
// term), languages (BCP 47 tags typed as "en, hi"), consultation fee. The checks mirror the
// service's (api/scheduling/schemas.py ProfileIn), which has the last word. Pure.

import type { components } from "../api/schema";
import type { MessageKey } from "../i18n";

type PractitionerOut = components["schemas"]["PractitionerOut"];
type ProfileIn = components["schemas"]["ProfileIn"];

export type ProfileForm = {
  specialty: string;
  specialtyCode: string;
  languages: string;
  feeAmount: string;
  feeCurrency: string;
};

export type ProfileField = keyof ProfileForm;
export type ProfileProblems = Partial<Record<ProfileField, MessageKey>>;

const LANGUAGE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const CODE = /^[0-9]{6,18}$/;
const AMOUNT = /^\d{1,10}(\.\d{1,2})?$/;
const CURRENCY = /^[A-Z]{3}$/;

/** The form filled from what the directory shows now (empty fields where nothing is set). */
export function profileFormOf(p: Pick<PractitionerOut, "specialty" | "specialty_code" | "languages" | "fee"> | null): ProfileForm {
  return {
    specialty: p?.specialty ?? "",
    specialtyCode: p?.specialty_code ?? "",
    languages: (p?.languages ?? []).join(", "),
    feeAmount: p?.fee ? String(p.fee.amount) : "",
    feeCurrency: p?.fee?.currency ?? "INR",
  };
}

/** "en, HI ,mr" -> ["en", "hi", "mr"]: the primary subtag in lower case, duplicates dropped. */
export function parseLanguages(text: string): string[] {
  const tags = text
    .split(/[,\s;]+/)
    .map((s) => s.trim())
    .filter(Boolean)
    .map((tag) => {
      const [first, ...rest] = tag.split("-");
      return [(first ?? "").toLowerCase(), ...rest].join("-");
    });
  return [...new Set(tags)];
}

/** What is wrong with the form, field by field (empty when it can be sent). */
export function checkProfile(form: ProfileForm): ProfileProblems {
  const problems: ProfileProblems = {};
  const code = form.specialtyCode.trim();
  if (code && !CODE.test(code)) problems.specialtyCode = "scheduling.profile.check.code";
  if (form.specialty.trim().length > 200) problems.specialty = "scheduling.profile.check.specialtyLong";
  const languages = parseLanguages(form.languages);
  if (languages.some((tag) => !LANGUAGE.test(tag))) problems.languages = "scheduling.profile.check.language";
  else if (languages.length > 20) problems.languages = "scheduling.profile.check.tooManyLanguages";
  const amount = form.feeAmount.trim();
  if (amount && !AMOUNT.test(amount)) problems.feeAmount = "scheduling.profile.check.amount";
  if (amount && !CURRENCY.test(form.feeCurrency.trim().toUpperCase()))
    problems.feeCurrency = "scheduling.profile.check.currency";
  return problems;
}

/** The body of PUT /practitioners/{id}/profile (blank fields sent as "not set"). */
export function profileBody(form: ProfileForm): ProfileIn {
  const amount = form.feeAmount.trim();
  return {
    specialty: form.specialty.trim() || null,
    specialty_code: form.specialtyCode.trim() || null,
    languages: parseLanguages(form.languages),
    fee: amount ? { amount, currency: form.feeCurrency.trim().toUpperCase() } : null,
  };
}

/** The directory entry as it will read once saved (the form over what it shows now). */
export function profilePreview<P extends Pick<PractitionerOut, "specialty" | "specialty_code" | "languages" | "fee">>(
  current: P,
  form: ProfileForm,
): P {
  const body = profileBody(form);
  return {
    ...current,
    specialty: body.specialty ?? null,
    specialty_code: body.specialty_code ?? null,
    languages: body.languages ?? [],
    fee: body.fee ? { amount: String(body.fee.amount), currency: body.fee.currency } : null,
  };
}

/** Which field a refusal of the service belongs to (its validation error's location), else the form. */
export function profileRefusalField(problem: unknown): ProfileField | "form" {
  if (typeof problem !== "object" || problem === null) return "form";
  const errors = (problem as Record<string, unknown>)["errors"];
  const byName: Record<string, ProfileField> = {
    specialty: "specialty",
    specialty_code: "specialtyCode",
    languages: "languages",
    amount: "feeAmount",
    currency: "feeCurrency",
  };
  if (Array.isArray(errors)) {
    for (const e of errors as unknown[]) {
      const loc = typeof e === "object" && e !== null ? (e as Record<string, unknown>)["loc"] : undefined;
      if (!Array.isArray(loc)) continue;
      for (const part of [...(loc as unknown[])].reverse()) {
        const field = byName[String(part)];
        if (field) return field;
      }
    }
  }
  return "form";
}
