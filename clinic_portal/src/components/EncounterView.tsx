// An open encounter: who the patient is, the clinician's record forms (a record written
// while the encounter is open is accepted on the `encounter` basis, no grant needed),
// "Finish the encounter" and "Book a follow-up".

import { useId, useState, type FormEvent } from "react";
import { api, type Me, type PatientSummary } from "../api/client";
import { t } from "../i18n";
import { formatWhen, patientLabel } from "../lib/calendarFormat";
import { formatUhid, normaliseUhid, problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import type { AppointmentOut } from "../lib/scheduling";
import { BookingForm } from "./BookingForm";
import { Fact } from "./common";
import { OrderPanel } from "./OrderPanel";
import { RxPrescribeForm } from "./RxPrescribeForm";
import { WriteRecord } from "./WriteRecord";

export function EncounterView({
  me,
  appointment,
  encounterId,
  onClose,
}: {
  me: Me;
  appointment: AppointmentOut;
  encounterId: string;
  onClose: () => void;
}) {
  const [patient, setPatient] = useState<PatientSummary | null>(null);
  const [saved, setSaved] = useState(0);
  const [finishedAt, setFinishedAt] = useState<string | null>(null);
  const [finishing, setFinishing] = useState(false);
  const [finishError, setFinishError] = useState("");
  const [followUp, setFollowUp] = useState<AppointmentOut | null>(null);

  async function finish() {
    setFinishing(true);
    setFinishError("");
    const result = await outcome(
      api.POST("/api/v1/encounters/{encounter_id}/finish", { params: { path: { encounter_id: encounterId } } }),
    );
    setFinishing(false);
    if (result.ok) setFinishedAt(result.value.finished_at ?? new Date().toISOString());
    else setFinishError(problemDetail(result.problem, result.status));
  }

  return (
    <>
      <h1 className="page-title">{t("scheduling.encounterTitle")}</h1>
      <button type="button" className="secondary sched-back" onClick={onClose}>
        {t("scheduling.backToCalendar")}
      </button>
      <div className="sched-layout">
        <section className="card" aria-labelledby="enc-patient">
          <h2 id="enc-patient">{t("scheduling.encounterPatient")}</h2>
          <dl className="facts">
            <Fact term={t("scheduling.when")}>{formatWhen(appointment.start)}</Fact>
            <Fact term={t("scheduling.patient")}>{patientLabel(appointment)}</Fact>
            {patient && <Fact term={t("scheduling.patientName")}>{patient.full_name}</Fact>}
            {patient && <Fact term={t("scheduling.uhid")}>{patient.uhid_display}</Fact>}
            <Fact term={t("scheduling.encounterState")}>
              {finishedAt ? t("scheduling.encounterFinishedAt", { when: formatWhen(finishedAt) }) : t("scheduling.encounterOpen")}
            </Fact>
          </dl>
          {!patient && <PatientByUhid onFound={setPatient} initial={appointment.patient_uhid ?? ""} />}
          {patient && (
            <p className="hint">{finishedAt ? t("scheduling.encounterBasisAfter") : t("scheduling.encounterBasis")}</p>
          )}
          {saved > 0 && (
            <p className="success" role="status">
              {t("scheduling.savedInEncounter", { count: saved })}
            </p>
          )}
        </section>
        {patient && <WriteRecord uhid={patient.uhid} onSaved={(count) => setSaved((n) => n + Math.max(1, count))} />}
        {patient && <OrderPanel uhid={patient.uhid} encounterId={encounterId} />}
        {patient && <RxPrescribeForm uhid={patient.uhid} encounterId={encounterId} me={me} />}
        <section className="card" aria-labelledby="enc-finish">
          <h2 id="enc-finish">{t("scheduling.finishHeading")}</h2>
          {finishedAt ? (
            <p className="success" role="status">
              {t("scheduling.finished")}
            </p>
          ) : (
            <>
              <p>{t("scheduling.finishExplain")}</p>
              {finishError && (
                <p className="alert" role="alert">
                  {finishError}
                </p>
              )}
              <button type="button" className="primary" onClick={() => void finish()} disabled={finishing} aria-busy={finishing}>
                {t("scheduling.finish")}
              </button>
            </>
          )}
        </section>
        <section className="card" aria-labelledby="enc-follow">
          <h2 id="enc-follow">{t("scheduling.followUpHeading")}</h2>
          {followUp ? (
            <p className="success" role="status">
              {t("scheduling.followUpBooked", { when: formatWhen(followUp.start) })}
            </p>
          ) : (
            <BookingForm
              owner={{ practitioner: appointment.practitioner ?? me.id }}
              submitLabel={t("scheduling.bookFollowUp")}
              book={(slot, reason) =>
                outcome(
                  api.POST("/api/v1/encounters/{encounter_id}/follow-up", {
                    params: { path: { encounter_id: encounterId } },
                    body: { start: slot.start, reason },
                  }),
                )
              }
              onBooked={setFollowUp}
            />
          )}
        </section>
      </div>
    </>
  );
}

/** The patient's UHID, confirmed by the clinician (filled in from the booking when known). */
export function PatientByUhid({
  onFound,
  label,
  initial = "",
}: {
  onFound: (p: PatientSummary) => void;
  label?: string;
  initial?: string;
}) {
  const id = useId();
  const [typed, setTyped] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  async function find(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const uhid = normaliseUhid(typed);
    if (!uhid) {
      setError(t("scheduling.uhidInvalid"));
      return;
    }
    setBusy(true);
    setError("");
    const result = await outcome(api.GET("/api/v1/patients/{uhid}", { params: { path: { uhid } } }));
    setBusy(false);
    if (result.ok) onFound(result.value);
    else setError(result.status === 404 ? t("scheduling.noSuchPatient", { uhid: formatUhid(uhid) }) : problemDetail(result.problem, result.status));
  }

  return (
    <form className="sched-find" onSubmit={(e) => void find(e)} noValidate>
      <div className="field">
        <label htmlFor={`${id}-uhid`}>{label ?? t("scheduling.patientUhid")}</label>
        <input
          id={`${id}-uhid`}
          inputMode="numeric"
          autoComplete="off"
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : `${id}-hint`}
        />
        <p className="hint" id={`${id}-hint`}>
          {t("scheduling.uhidHint")}
        </p>
        {error && (
          <p className="alert" role="alert" id={`${id}-error`}>
            {error}
          </p>
        )}
      </div>
      <button type="submit" className="primary" disabled={busy} aria-busy={busy}>
        {t("scheduling.findPatient")}
      </button>
    </form>
  );
}
