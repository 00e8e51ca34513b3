// Finding a patient by UHID: the first step of the clinician's and the lab's screens.

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { api, type PatientSummary } from "../api/client";
import { t } from "../i18n";
import { problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import { ErrorAlert } from "./common";

export function PatientFinder({
  onFound,
  initialUhid = "",
}: {
  onFound: (patient: PatientSummary | null) => void;
  /** A UHID the screen was opened with (a work list's link): filled in and looked up. */
  initialUhid?: string;
}) {
  const inputId = useId();
  const [typed, setTyped] = useState(initialUhid);
  const [searching, setSearching] = useState(false);
  const [error, setError] = useState("");
  const search = useRef(0);

  async function find(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    await lookUp(typed);
  }

  async function lookUp(value: string) {
    const uhid = value.trim();
    if (!uhid) {
      setError(t("staff.enterUhid"));
      document.getElementById(inputId)?.focus();
      return;
    }
    const mine = ++search.current;
    setSearching(true);
    setError("");
    onFound(null);
    const result = await outcome(api.GET("/api/v1/patients/{uhid}", { params: { path: { uhid } } }));
    if (mine !== search.current) return;
    setSearching(false);
    if (result.ok) onFound(result.value);
    else setError(problemDetail(result.problem, result.status));
  }

  useEffect(() => {
    if (initialUhid) void lookUp(initialUhid);
    // Once, as the screen opens with it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  return (
    <section className="card" data-testid="find-patient" aria-labelledby={`${inputId}-heading`}>
      <h2 id={`${inputId}-heading`}>{t("staff.find")}</h2>
      <form className="find-form" onSubmit={(e) => void find(e)} noValidate>
        <div className="field">
          <label htmlFor={inputId}>{t("staff.uhid")}</label>
          <input
            id={inputId}
            name="uhid"
            type="text"
            inputMode="numeric"
            autoComplete="off"
            spellCheck={false}
            placeholder="12-3456-7890-1234"
            aria-describedby={`${inputId}-hint`}
            aria-invalid={error ? true : undefined}
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
          />
          <p className="hint" id={`${inputId}-hint`}>
            {t("staff.uhidHint")}
          </p>
        </div>
        <button type="submit" className="primary" disabled={searching} aria-busy={searching}>
          {t("staff.findButton")}
        </button>
      </form>
      {searching && (
        <p className="muted loading" role="status">
          {t("staff.looking")}
        </p>
      )}
      <ErrorAlert message={error} />
    </section>
  );
}
