// "Write for this patient": a clinician's forms for a note, a diagnosis, an allergy and vital
// signs. Each becomes FHIR R4 (src/lib/fhirWrite.ts), checked here first, then sent to
// POST /api/v1/patients/{uhid}/records, where the service validates it and seals it to the
// patient's key.

import { useId, useRef, useState, type FormEvent, type ReactNode } from "react";
import { api } from "../api/client";
import { problemDetail, problemFieldErrors } from "../lib/format";
import {
  buildAllergy,
  buildDiagnosis,
  buildNote,
  buildVitals,
  CRITICALITY_CHOICES,
  DIAGNOSIS_STATUS_WORDS,
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

type Kind = "note" | "diagnosis" | "allergy" | "vitals";

const KINDS: { kind: Kind; label: string }[] = [
  { kind: "note", label: "Note" },
  { kind: "diagnosis", label: "Diagnosis" },
  { kind: "allergy", label: "Allergy" },
  { kind: "vitals", label: "Vital signs" },
];

const SAVED = "Saved to the patient's record";

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
      lead: lines.length === 1 ? (lines[0] ?? "") : "Please check these details:",
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
    setStatus("Saving…");
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
      setTrouble(saved > 0 ? { ...failure, lead: `Saved ${saved} of ${total}. ${failure.lead}` } : failure);
      setStatus("");
      return;
    }
    if (sent === "note") setNote(EMPTY_NOTE);
    if (sent === "diagnosis") setDiagnosis(EMPTY_DIAGNOSIS);
    if (sent === "allergy") setAllergy(EMPTY_ALLERGY);
    setStatus(saved > 1 ? `${SAVED} (${saved} entries)` : SAVED);
  }

  let form: ReactNode;
  switch (kind) {
    case "note":
      form = (
        <fieldset className="write-fields">
          <legend>Progress note</legend>
          <div className="field">
            <label htmlFor={fieldId("text")}>Note</label>
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
          <legend>Diagnosis</legend>
          <div className="field">
            <label htmlFor={fieldId("diagnosis")}>Diagnosis</label>
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
            <label htmlFor={fieldId("snomed")}>SNOMED CT code (optional)</label>
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
              6 to 18 digits, e.g. 38341003 for hypertension.
            </p>
          </div>
          <div className="write-row">
            <div className="field">
              <label htmlFor={fieldId("status")}>Status</label>
              <select
                {...control("status")}
                value={diagnosis.status}
                onChange={(e) => setDiagnosis({ ...diagnosis, status: e.target.value as DiagnosisStatus })}
              >
                {(Object.keys(DIAGNOSIS_STATUS_WORDS) as DiagnosisStatus[]).map((s) => (
                  <option key={s} value={s}>
                    {DIAGNOSIS_STATUS_WORDS[s]}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor={fieldId("onset")}>Onset</label>
              <input
                {...control("onset", true)}
                type="date"
                value={diagnosis.onset}
                onChange={(e) => setDiagnosis({ ...diagnosis, onset: e.target.value })}
              />
              <p className="hint" id={`${fieldId("onset")}-hint`}>
                Leave empty if not known.
              </p>
            </div>
          </div>
        </fieldset>
      );
      break;
    case "allergy":
      form = (
        <fieldset className="write-fields">
          <legend>Allergy or intolerance</legend>
          <div className="field">
            <label htmlFor={fieldId("substance")}>Substance</label>
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
            <label htmlFor={fieldId("criticality")}>Criticality</label>
            <select
              {...control("criticality", true)}
              required
              value={allergy.criticality}
              onChange={(e) =>
                setAllergy({ ...allergy, criticality: e.target.value as AllergyInput["criticality"] })
              }
            >
              <option value="">Choose…</option>
              {CRITICALITY_CHOICES.map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </select>
            <p className="hint" id={`${fieldId("criticality")}-hint`}>
              How severe a future reaction could be.
            </p>
          </div>
          <div className="field">
            <label htmlFor={fieldId("reaction")}>Reaction (optional)</label>
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
      const vital = (field: VitalField, label: string) => (
        <div className="field">
          <label htmlFor={fieldId(field)}>{label}</label>
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
          <legend>Vital signs</legend>
          <p className="hint">Fill in the ones you measured; each is saved as its own entry, timed now.</p>
          <div className="vitals-grid">
            {vital("heartRate", "Heart rate (/min)")}
            {vital("temperature", "Temperature (°C)")}
            {vital("respiratoryRate", "Respiratory rate (/min)")}
            {vital("spo2", "SpO2 (%)")}
            {vital("weight", "Weight (kg)")}
          </div>
          <fieldset className="write-fields nested">
            <legend>Blood pressure</legend>
            <div className="vitals-grid">
              {vital("systolic", "Systolic (mm Hg)")}
              {vital("diastolic", "Diastolic (mm Hg)")}
            </div>
          </fieldset>
        </fieldset>
      );
      break;
    }
  }

  return (
    <section className="card" data-testid="write-record" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Write for this patient</h2>
      <p className="muted">Saved entries are encrypted to the patient and added to their record.</p>
      <div className="segmented" role="group" aria-label="Kind of entry">
        {KINDS.map((k) => (
          <button
            key={k.kind}
            type="button"
            className="segment"
            aria-pressed={kind === k.kind}
            onClick={() => choose(k.kind)}
          >
            {k.label}
          </button>
        ))}
      </div>
      <form className="write-form" onSubmit={(e) => void save(e)} noValidate>
        {form}
        <button type="submit" className="primary" disabled={sending} aria-busy={sending}>
          Save
        </button>
      </form>
      {trouble && (
        <div role="alert" className="alert" id={alertId}>
          <p>{trouble.lead}</p>
          {trouble.lines.length > 0 && (
            <ul className="alert-list">
              {trouble.lines.map((line, i) => (
                <li key={i}>{line}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      <p role="status" className="write-status">
        {status}
      </p>
    </section>
  );
}
