// "Write for this patient": a clinician's forms for a note, a diagnosis, an allergy and vital
// signs. Each becomes FHIR R4 (src/lib/fhirWrite.ts), checked here first, then sent to
// POST /api/v1/patients/{uhid}/records, where the service validates it and seals it to the
// patient's key.

import { useId, useRef, useState, type FormEvent, type ReactNode } from "react";
import { api } from "../api/client";
import { t, type MessageKey } from "../i18n";
import { problemDetail, problemFieldErrors } from "../lib/format";
import {
  buildAllergy,
  buildDiagnosis,
  buildNote,
  buildVitals,
  CRITICALITY_CHOICES,
  criticalityLabel,
  DIAGNOSIS_STATUS_WORDS,
  diagnosisStatusLabel,
  EMPTY_ALLERGY,
  EMPTY_DIAGNOSIS,
  EMPTY_NOTE,
  EMPTY_VITALS,
  type AllergyInput,
  type Built,
  type DiagnosisInput,
  type DiagnosisStatus,
  type FieldError,
  type NoteInput,
  type VitalField,
  type VitalsInput,
} from "../lib/fhirWrite";
import { outcome } from "../lib/outcome";
import { TroubleAlert } from "./common";

type Kind = "note" | "diagnosis" | "allergy" | "vitals";

const KINDS: Kind[] = ["note", "diagnosis", "allergy", "vitals"];

/** What went wrong, in words: our own checks (per field) or the service's answer. */
type Trouble = { lead: string; lines: string[]; fields: string[] };

export function WriteRecord({ uhid, onSaved }: { uhid: string; onSaved: (count: number) => void }) {
  const id = useId();
  const [kind, setKind] = useState<Kind>("note");
  const [note, setNote] = useState<NoteInput>(EMPTY_NOTE);
  const [diagnosis, setDiagnosis] = useState<DiagnosisInput>(EMPTY_DIAGNOSIS);
  const [allergy, setAllergy] = useState<AllergyInput>(EMPTY_ALLERGY);
  const [vitals, setVitals] = useState<VitalsInput>(EMPTY_VITALS);
  const [sending, setSending] = useState(false);
  const [status, setStatus] = useState("");
  const [trouble, setTrouble] = useState<Trouble | null>(null);
  const sendingRef = useRef(false);

  const fieldId = (field: string) => `${id}-${kind}-${field}`;
  const alertId = `${id}-alert`;
  const invalid = (field: string) => trouble?.fields.includes(field) ?? false;
  /** The props that tie an input to its label, hint and (when invalid) the alert. */
  const control = (field: string, hint?: boolean) => {
    const describedBy = [hint ? `${fieldId(field)}-hint` : "", invalid(field) ? alertId : ""]
      .filter(Boolean)
      .join(" ");
    return {
      id: fieldId(field),
      name: field,
      "aria-invalid": invalid(field) || undefined,
      ...(describedBy ? { "aria-describedby": describedBy } : {}),
    };
  };

  function choose(next: Kind) {
    if (next === kind) return;
    setKind(next);
    setTrouble(null);
    setStatus("");
  }

  function refuse<F extends string>(errors: FieldError<F>[]) {
    const lines = errors.map((e) => e.message);
    setTrouble({
      lead: lines.length === 1 ? (lines[0] ?? "") : t("write.checkThese"),
      lines: lines.length === 1 ? [] : lines,
      fields: errors.map((e) => e.field),
    });
    setStatus("");
    const first = errors[0];
    if (first) document.getElementById(fieldId(first.field))?.focus();
  }

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (sendingRef.current) return;
    const now = new Date();
    const sent: Kind = kind;
    const built: Built<string> =
      sent === "note"
        ? buildNote(uhid, note, now)
        : sent === "diagnosis"
          ? buildDiagnosis(uhid, diagnosis, now)
          : sent === "allergy"
            ? buildAllergy(uhid, allergy, now)
            : buildVitals(uhid, vitals, now);
    if (!built.ok) {
      refuse(built.errors);
      return;
    }
    sendingRef.current = true;
    setSending(true);
    setTrouble(null);
    setStatus(t("write.saving"));
    let saved = 0;
    let failure: Trouble | null = null;
    for (const item of built.items) {
      const result = await outcome(
        api.POST("/api/v1/patients/{uhid}/records", {
          params: { path: { uhid } },
          body: item.resource,
          headers: { "Content-Type": "application/fhir+json" },
        }),
      );
      if (!result.ok) {
        failure = {
          lead: problemDetail(result.problem, result.status),
          lines: problemFieldErrors(result.problem),
          fields: [],
        };
        break;
      }
      saved++;
      if (sent === "vitals") {
        // What is saved leaves the form; what is not stays, to be sent again.
        const done = item.fields as VitalField[];
        setVitals((v) => ({ ...v, ...Object.fromEntries(done.map((f) => [f, ""])) }));
      }
    }
    sendingRef.current = false;
    setSending(false);
    if (saved > 0) onSaved(saved);
    if (failure) {
      const total = built.items.length;
      setTrouble(saved > 0 ? { ...failure, lead: t("write.savedSome", { saved, total, problem: failure.lead }) } : failure);
      setStatus("");
      return;
    }
    if (sent === "note") setNote(EMPTY_NOTE);
    if (sent === "diagnosis") setDiagnosis(EMPTY_DIAGNOSIS);
    if (sent === "allergy") setAllergy(EMPTY_ALLERGY);
    setStatus(saved > 1 ? t("write.savedMany", { count: saved }) : t("write.saved"));
  }

  let form: ReactNode;
  switch (kind) {
    case "note":
      form = (
        <fieldset className="write-fields">
          <legend>{t("write.note.legend")}</legend>
          <div className="field">
            <label htmlFor={fieldId("text")}>{t("write.note.text")}</label>
            <textarea
              {...control("text")}
              rows={6}
              required
              value={note.text}
              onChange={(e) => setNote({ text: e.target.value })}
            />
          </div>
        </fieldset>
      );
      break;
    case "diagnosis":
      form = (
        <fieldset className="write-fields">
          <legend>{t("write.diagnosis.legend")}</legend>
          <div className="field">
            <label htmlFor={fieldId("diagnosis")}>{t("write.diagnosis.name")}</label>
            <input
              {...control("diagnosis")}
              type="text"
              required
              autoComplete="off"
              value={diagnosis.diagnosis}
              onChange={(e) => setDiagnosis({ ...diagnosis, diagnosis: e.target.value })}
            />
          </div>
          <div className="field">
            <label htmlFor={fieldId("snomed")}>{t("write.diagnosis.snomed")}</label>
            <input
              {...control("snomed", true)}
              type="text"
              inputMode="numeric"
              autoComplete="off"
              spellCheck={false}
              value={diagnosis.snomed}
              onChange={(e) => setDiagnosis({ ...diagnosis, snomed: e.target.value })}
            />
            <p className="hint" id={`${fieldId("snomed")}-hint`}>
              {t("write.diagnosis.snomedHint")}
            </p>
          </div>
          <div className="write-row">
            <div className="field">
              <label htmlFor={fieldId("status")}>{t("write.diagnosis.status")}</label>
              <select
                {...control("status")}
                value={diagnosis.status}
                onChange={(e) => setDiagnosis({ ...diagnosis, status: e.target.value as DiagnosisStatus })}
              >
                {(Object.keys(DIAGNOSIS_STATUS_WORDS) as DiagnosisStatus[]).map((s) => (
                  <option key={s} value={s}>
                    {diagnosisStatusLabel(s)}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor={fieldId("onset")}>{t("write.diagnosis.onset")}</label>
              <input
                {...control("onset", true)}
                type="date"
                value={diagnosis.onset}
                onChange={(e) => setDiagnosis({ ...diagnosis, onset: e.target.value })}
              />
              <p className="hint" id={`${fieldId("onset")}-hint`}>
                {t("write.diagnosis.onsetHint")}
              </p>
            </div>
          </div>
        </fieldset>
      );
      break;
    case "allergy":
      form = (
        <fieldset className="write-fields">
          <legend>{t("write.allergy.legend")}</legend>
          <div className="field">
            <label htmlFor={fieldId("substance")}>{t("write.allergy.substance")}</label>
            <input
              {...control("substance")}
              type="text"
              required
              autoComplete="off"
              value={allergy.substance}
              onChange={(e) => setAllergy({ ...allergy, substance: e.target.value })}
            />
          </div>
          <div className="field">
            <label htmlFor={fieldId("criticality")}>{t("write.allergy.criticality")}</label>
            <select
              {...control("criticality", true)}
              required
              value={allergy.criticality}
              onChange={(e) =>
                setAllergy({ ...allergy, criticality: e.target.value as AllergyInput["criticality"] })
              }
            >
              <option value="">{t("write.allergy.choose")}</option>
              {CRITICALITY_CHOICES.map((c) => (
                <option key={c.value} value={c.value}>
                  {criticalityLabel(c.value)}
                </option>
              ))}
            </select>
            <p className="hint" id={`${fieldId("criticality")}-hint`}>
              {t("write.allergy.criticalityHint")}
            </p>
          </div>
          <div className="field">
            <label htmlFor={fieldId("reaction")}>{t("write.allergy.reaction")}</label>
            <input
              {...control("reaction")}
              type="text"
              autoComplete="off"
              value={allergy.reaction}
              onChange={(e) => setAllergy({ ...allergy, reaction: e.target.value })}
            />
          </div>
        </fieldset>
      );
      break;
    case "vitals": {
      const vital = (field: VitalField) => (
        <div className="field">
          <label htmlFor={fieldId(field)}>{t(`write.label.${field}` as MessageKey)}</label>
          <input
            {...control(field)}
            type="text"
            inputMode="decimal"
            autoComplete="off"
            value={vitals[field]}
            onChange={(e) => setVitals({ ...vitals, [field]: e.target.value })}
          />
        </div>
      );
      form = (
        <fieldset className="write-fields">
          <legend>{t("write.vitals.legend")}</legend>
          <p className="hint">{t("write.vitals.hint")}</p>
          <div className="vitals-grid">
            {vital("heartRate")}
            {vital("temperature")}
            {vital("respiratoryRate")}
            {vital("spo2")}
            {vital("weight")}
          </div>
          <fieldset className="write-fields nested">
            <legend>{t("write.vitals.bloodPressure")}</legend>
            <div className="vitals-grid">
              {vital("systolic")}
              {vital("diastolic")}
            </div>
          </fieldset>
        </fieldset>
      );
      break;
    }
  }

  return (
    <section className="card" data-testid="write-record" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{t("write.heading")}</h2>
      <p className="muted">{t("write.intro")}</p>
      <div className="segmented" role="group" aria-label={t("write.kinds")}>
        {KINDS.map((k) => (
          <button key={k} type="button" className="segment" aria-pressed={kind === k} onClick={() => choose(k)}>
            {t(`write.kind.${k}`)}
          </button>
        ))}
      </div>
      <form className="write-form" onSubmit={(e) => void save(e)} noValidate>
        {form}
        <button type="submit" className="primary" disabled={sending} aria-busy={sending}>
          {t("write.save")}
        </button>
      </form>
      <TroubleAlert trouble={trouble} id={alertId} />
      <p role="status" className="write-status">
        {status}
      </p>
    </section>
  );
}
