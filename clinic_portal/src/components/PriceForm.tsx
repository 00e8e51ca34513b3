// "Add a price": a service code of one of the systems the workflows bill under, its name,
// price, tax and first day. A second price of a code from a later day is its new version; a
// price of a day the code already has is refused (409), shown next to the date.

import { useState, type FormEvent } from "react";
import { api } from "../api/client";
import type { components } from "../api/schema";
import { t, type MessageKey } from "../i18n";
import { problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import { formatDay, rateFromPercent, typedCents } from "../lib/reports";
import { FinField } from "./ReportParts";

type PriceItem = components["schemas"]["PriceItemOut"];

export const CONSULTATION_SYSTEM = "https://ohms.health/fhir/CodeSystem/consultation";
// The systems the billable events are reported under (api/billing/events.py): consultations by
// the practitioner's specialty, LOINC tests and imaging, RxNorm products; SNOMED CT procedures.
export const CODE_SYSTEMS: readonly { system: string; label: MessageKey }[] = [
  { system: CONSULTATION_SYSTEM, label: "finance.system.consultation" },
  { system: "http://loinc.org", label: "finance.system.loinc" },
  { system: "http://snomed.info/sct", label: "finance.system.snomed" },
  { system: "http://www.nlm.nih.gov/research/umls/rxnorm", label: "finance.system.rxnorm" },
];
const CURRENCIES = ["INR", "USD", "EUR", "GBP", "AED"];

export function systemLabel(system: string): string {
  const known = CODE_SYSTEMS.find((s) => s.system === system);
  return known ? t(known.label) : system;
}

export type PriceDraft = {
  system: string;
  code: string;
  display: string;
  amount: string;
  currency: string;
  taxPercent: string;
  validFrom: string;
  department: string;
};

const EMPTY: PriceDraft = {
  system: CONSULTATION_SYSTEM,
  code: "",
  display: "",
  amount: "",
  currency: "INR",
  taxPercent: "0",
  validFrom: "",
  department: "",
};

type Errors = Partial<Record<keyof PriceDraft, string>>;

function checked(draft: PriceDraft): Errors {
  const errors: Errors = {};
  if (!/^[A-Za-z0-9][A-Za-z0-9.:_-]*$/.test(draft.code.trim())) errors.code = t("finance.prices.codeInvalid");
  if (!draft.display.trim()) errors.display = t("finance.prices.nameRequired");
  if (typedCents(draft.amount) === null) errors.amount = t("finance.amountInvalid");
  if (rateFromPercent(draft.taxPercent) === null) errors.taxPercent = t("finance.prices.taxInvalid");
  return errors;
}

export function PriceForm({ template, onAdded }: { template: PriceDraft | null; onAdded: (item: PriceItem) => void }) {
  const [draft, setDraft] = useState<PriceDraft>(template ?? EMPTY);
  const [errors, setErrors] = useState<Errors>({});
  const [failure, setFailure] = useState("");
  const [done, setDone] = useState("");
  const [busy, setBusy] = useState(false);

  // A listed price's "New version" fills the form in (the day left for the person to pick).
  const [shownTemplate, setShownTemplate] = useState(template);
  if (shownTemplate !== template) {
    setShownTemplate(template);
    if (template) {
      setDraft(template);
      setErrors({});
      setFailure("");
      setDone("");
    }
  }

  function set<K extends keyof PriceDraft>(key: K, value: PriceDraft[K]) {
    setDraft((d) => ({ ...d, [key]: value }));
    setErrors((e) => ({ ...e, [key]: undefined }));
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setDone("");
    setFailure("");
    const found = checked(draft);
    setErrors(found);
    if (Object.values(found).some(Boolean)) return;
    setBusy(true);
    const result = await outcome(
      api.POST("/api/v1/price-items", {
        body: {
          code: { system: draft.system, code: draft.code.trim(), display: draft.display.trim() },
          price: { amount: draft.amount.trim(), currency: draft.currency },
          tax_rate: rateFromPercent(draft.taxPercent) ?? "0",
          valid_from: draft.validFrom || null,
          department: draft.department.trim() || null,
        },
      }),
    );
    setBusy(false);
    if (result.ok) {
      setDone(t("finance.prices.added", { code: result.value.code.code, day: formatDay(result.value.valid_from) }));
      setDraft((d) => ({ ...d, validFrom: "" }));
      onAdded(result.value);
    } else if (result.status === 409) {
      setErrors({ validFrom: problemDetail(result.problem, result.status) });
    } else {
      setFailure(problemDetail(result.problem, result.status));
    }
  }

  return (
    <form className="fin-form" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="fin-add-title">
      <FinField label={t("finance.prices.system")} value={draft.system} onChange={(v) => set("system", v)}>
        {CODE_SYSTEMS.map((s) => (
          <option key={s.system} value={s.system}>
            {t(s.label)}
          </option>
        ))}
      </FinField>
      <FinField
        label={t("finance.prices.code")}
        value={draft.code}
        onChange={(v) => set("code", v)}
        hint={draft.system === CONSULTATION_SYSTEM ? t("finance.prices.consultationHint") : undefined}
        error={errors.code}
        required
      />
      <FinField label={t("finance.prices.name")} value={draft.display} onChange={(v) => set("display", v)} error={errors.display} required />
      <div className="fin-two">
        <FinField
          label={t("finance.prices.price")}
          value={draft.amount}
          onChange={(v) => set("amount", v)}
          inputMode="decimal"
          hint={t("finance.prices.priceHint")}
          error={errors.amount}
          required
        />
        <FinField label={t("finance.prices.currency")} value={draft.currency} onChange={(v) => set("currency", v)}>
          {CURRENCIES.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </FinField>
      </div>
      <FinField
        label={t("finance.prices.taxPercent")}
        value={draft.taxPercent}
        onChange={(v) => set("taxPercent", v)}
        inputMode="decimal"
        hint={t("finance.prices.taxHint")}
        error={errors.taxPercent}
      />
      <FinField
        label={t("finance.prices.validFrom")}
        type="date"
        value={draft.validFrom}
        onChange={(v) => set("validFrom", v)}
        hint={t("finance.prices.validFromHint")}
        error={errors.validFrom}
      />
      <FinField label={t("finance.prices.department")} value={draft.department} onChange={(v) => set("department", v)} />
      {failure && (
        <p className="alert" role="alert">
          {failure}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy} aria-busy={busy}>
        {t("finance.prices.addButton")}
      </button>
      <p className="success" role="status">
        {done}
      </p>
    </form>
  );
}
