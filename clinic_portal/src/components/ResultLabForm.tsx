// A lab technician's result for the patient: one test from a short LOINC list, its value, the
// reference range (the test's usual one, editable) and the day; the interpretation is computed.
// Built as a FHIR R4 Observation (src/lib/fhirResults.ts) and sent to POST .../records.

import { useId, useRef, useState, type FormEvent } from "react";
import { api } from "../api/client";
import { t } from "../i18n";
import { interpretationCodeInWords } from "../lib/fhir";
import {
  buildLabResult,
  chooseLabTest,
  emptyLabInput,
  interpret,
  LAB_TESTS,
  labTest,
  type LabField,
  type LabInput,
  type LabTestId,
} from "../lib/fhirResults";
import { parseNumber } from "../lib/fhirWrite";
import { problemDetail, problemFieldErrors } from "../lib/format";
import { outcome } from "../lib/outcome";
import { TroubleAlert } from "./common";

type Trouble = { lead: string; lines: string[]; fields: LabField[] };

export function ResultLabForm({ uhid, onSaved }: { uhid: string; onSaved: () => void }) {
  const id = useId();
  const [input, setInput] = useState<LabInput>(() => emptyLabInput(new Date()));
  const [sending, setSending] = useState(false);
  // Kept as words to make at render time, so a change of language rewords it too.
  const [status, setStatus] = useState<(() => string) | null>(null);
  const [trouble, setTrouble] = useState<Trouble | null>(null);
  const sendingRef = useRef(false);

  const fieldId = (field: LabField) => `${id}-${field}`;
  const alertId = `${id}-alert`;
  const control = (field: LabField, hint?: boolean) => {
    const invalid = trouble?.fields.includes(field) ?? false;
    const describedBy = [hint ? `${fieldId(field)}-hint` : "", invalid ? alertId : ""].filter(Boolean).join(" ");
    return {
      id: fieldId(field),
      name: field,
      "aria-invalid": invalid || undefined,
      ...(describedBy ? { "aria-describedby": describedBy } : {}),
    };
  };

  const test = labTest(input.test);
  const unit = test?.unit.shown ?? "";
  // What the interpretation will be, shown while typing (the same rule as the saved one).
  const value = parseNumber(input.value, false);
  const low = parseNumber(input.low, false);
  const high = parseNumber(input.high, false);
  const preview =
    value !== null && (low !== null || high !== null)
      ? interpret(value, { ...(low !== null ? { low } : {}), ...(high !== null ? { high } : {}) })
      : null;

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (sendingRef.current) return;
    const built = buildLabResult(uhid, input, new Date());
    if (!built.ok) {
      const lines = built.errors.map((e) => e.message);
      setTrouble({
        lead: lines.length === 1 ? (lines[0] ?? "") : t("results.checkDetails"),
        lines: lines.length === 1 ? [] : lines,
        fields: built.errors.map((e) => e.field),
      });
      setStatus(null);
      const first = built.errors[0];
      if (first) document.getElementById(fieldId(first.field))?.focus();
      return;
    }
    sendingRef.current = true;
    setSending(true);
    setTrouble(null);
    setStatus(() => () => t("results.saving"));
    const result = await outcome(
      api.POST("/api/v1/patients/{uhid}/records", {
        params: { path: { uhid } },
        body: built.resource,
        headers: { "Content-Type": "application/fhir+json" },
      }),
    );
    sendingRef.current = false;
    setSending(false);
    if (!result.ok) {
      setTrouble({ lead: problemDetail(result.problem, result.status), lines: problemFieldErrors(result.problem), fields: [] });
      setStatus(null);
      return;
    }
    const name = test?.name;
    const code = built.interpretation;
    const typed = input.value.trim();
    setStatus(() => () => {
      const saved = name ? t(name) : "";
      const words = code ? interpretationCodeInWords(code) : undefined;
      return words
        ? t("results.lab.savedWith", { test: saved, value: typed, unit, interpretation: words })
        : t("results.lab.saved", { test: saved, value: typed, unit });
    });
    setInput((prev) => ({ ...emptyLabInput(new Date()), date: prev.date }));
    onSaved();
  }

  return (
    <section className="card" data-testid="lab-result" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{t("results.lab.heading")}</h2>
      <p className="muted">{t("results.lab.intro")}</p>
      <form className="write-form" onSubmit={(e) => void save(e)} noValidate>
        <fieldset className="write-fields">
          <legend>{t("results.lab.legend")}</legend>
          <div className="field">
            <label htmlFor={fieldId("test")}>{t("results.lab.test")}</label>
            <select
              {...control("test")}
              required
              value={input.test}
              onChange={(e) => setInput(chooseLabTest(input, e.target.value as LabTestId | ""))}
            >
              <option value="">{t("results.lab.chooseTest")}</option>
              {LAB_TESTS.map((choice) => (
                <option key={choice.id} value={choice.id}>
                  {t("results.lab.testOption", { name: t(choice.name), loinc: choice.loinc })}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={fieldId("value")}>
              {unit ? t("results.lab.valueIn", { unit }) : t("results.lab.value")}
            </label>
            <input
              {...control("value")}
              type="text"
              inputMode="decimal"
              autoComplete="off"
              required
              value={input.value}
              onChange={(e) => setInput({ ...input, value: e.target.value })}
            />
          </div>
          <fieldset className="write-fields nested">
            <legend>{t("results.lab.range")}</legend>
            <div className="write-row">
              <div className="field">
                <label htmlFor={fieldId("low")}>{t("results.lab.low")}</label>
                <input
                  {...control("low")}
                  type="text"
                  inputMode="decimal"
                  autoComplete="off"
                  value={input.low}
                  onChange={(e) => setInput({ ...input, low: e.target.value })}
                />
              </div>
              <div className="field">
                <label htmlFor={fieldId("high")}>{t("results.lab.high")}</label>
                <input
                  {...control("high")}
                  type="text"
                  inputMode="decimal"
                  autoComplete="off"
                  value={input.high}
                  onChange={(e) => setInput({ ...input, high: e.target.value })}
                />
              </div>
            </div>
            <p className="hint">{t("results.lab.rangeHint")}</p>
          </fieldset>
          <div className="field">
            <label htmlFor={fieldId("date")}>{t("results.lab.date")}</label>
            <input
              {...control("date")}
              type="date"
              required
              value={input.date}
              onChange={(e) => setInput({ ...input, date: e.target.value })}
            />
          </div>
          <p className="hint" aria-live="polite" data-testid="lab-interpretation">
            {preview ? t("results.lab.interpretation", { words: interpretationCodeInWords(preview) ?? preview }) : ""}
          </p>
        </fieldset>
        <button type="submit" className="primary" disabled={sending} aria-busy={sending}>
          {t("results.lab.save")}
        </button>
      </form>
      <TroubleAlert trouble={trouble} id={alertId} />
      <p role="status" className="write-status">
        {status?.()}
      </p>
    </section>
  );
}
