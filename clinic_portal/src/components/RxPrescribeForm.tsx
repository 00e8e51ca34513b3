// Prescribing in the encounter: the medication (from the vendors' catalogue or typed as an
// RxNorm code), dosage, quantity, refills and the pharmacy the patient chose. The service
// checks the patient's allergies it may read: a match comes back as a 409 allergy warning,
// shown prominently, which the physician may override with a reason.

import { useEffect, useId, useState, type FormEvent } from "react";
import { api, type Me } from "../api/client";
import type { components } from "../api/schema";
import { t } from "../i18n";
import { problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import { allergyCheckInWords, allergyNamed, allergyWarning, isRxcui, RXNORM, wholeNumber } from "../lib/pharmacy";
import { MedicationFields, RxField } from "./PharmacyParts";

type Prescription = components["schemas"]["PrescriptionOut"];
type Org = { id: string; name: string };

const EMPTY = { medication: { code: "", display: "" }, dosage: "", quantity: "", refills: "0", pharmacy: "" };

export function RxPrescribeForm({ uhid, encounterId, me }: { uhid: string; encounterId?: string; me: Me }) {
  const id = useId();
  const [form, setForm] = useState(EMPTY);
  const [pharmacies, setPharmacies] = useState<Org[]>([]);
  const [error, setError] = useState("");
  const [warning, setWarning] = useState<string | null>(null);
  const [reason, setReason] = useState("");
  const [reasonError, setReasonError] = useState("");
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<{ p: Prescription; pharmacy: string } | null>(null);

  // Pharmacies are organisations of kind pharmacy in the directory (directory:read).
  useEffect(() => {
    let live = true;
    void outcome(api.GET("/api/v1/directory/organizations", { params: { query: { kind: "pharmacy", limit: 200 } } })).then(
      (result) => {
        if (!live) return;
        if (result.ok) setPharmacies(result.value.map((o) => ({ id: o.id, name: o.name })));
        else setError(problemDetail(result.problem, result.status));
      },
    );
    return () => {
      live = false;
    };
  }, []);

  async function submit(override: string | null) {
    const quantity = wholeNumber(form.quantity);
    const refills = wholeNumber(form.refills, 0);
    if (!isRxcui(form.medication.code) || !form.medication.display.trim() || !form.dosage.trim() || quantity === null || refills === null || !form.pharmacy) {
      setError(t("pharmacy.rx.invalid"));
      return;
    }
    setBusy(true);
    setError("");
    setDone(null);
    const result = await outcome(
      api.POST("/api/v1/prescriptions", {
        body: {
          patient: uhid,
          pharmacy: form.pharmacy,
          medication: { system: RXNORM, code: form.medication.code.trim(), display: form.medication.display.trim() },
          dosage: form.dosage.trim(),
          quantity,
          refills,
          allergy_override_reason: override,
        },
      }),
    );
    setBusy(false);
    if (result.ok) {
      setDone({ p: result.value, pharmacy: pharmacies.find((o) => o.id === form.pharmacy)?.name ?? "" });
      setWarning(null);
      setReason("");
      setForm(EMPTY);
      return;
    }
    const detail = allergyWarning(result.problem, result.status);
    if (detail === null) {
      setError(problemDetail(result.problem, result.status));
      return;
    }
    const allergy = allergyNamed(detail);
    setWarning(
      allergy
        ? t("pharmacy.rx.warningText", { medication: form.medication.display.trim(), allergy })
        : detail || problemDetail(result.problem, result.status),
    );
  }

  function edit(patch: Partial<typeof EMPTY>) {
    setForm({ ...form, ...patch });
    setWarning(null);
    setReason("");
    setReasonError("");
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    void submit(null);
  }

  function onOverride(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!reason.trim()) {
      setReasonError(t("pharmacy.rx.reasonNeeded"));
      return;
    }
    setReasonError("");
    void submit(reason.trim());
  }

  // Prescribing is for physicians (prescription:write); others see nothing here.
  if (!me.permissions.includes("prescription:write")) return null;
  return (
    <section className="card rx-prescribe" aria-labelledby={`${id}-h`} data-encounter={encounterId}>
      <h2 id={`${id}-h`}>{t("pharmacy.rx.heading")}</h2>
      <form onSubmit={onSubmit} noValidate>
        <MedicationFields value={form.medication} onChange={(medication) => edit({ medication })} />
        <RxField label={t("pharmacy.rx.dosage")} value={form.dosage} onChange={(dosage) => edit({ dosage })} />
        <div className="rx-row">
          <RxField label={t("pharmacy.rx.quantity")} inputMode="numeric" value={form.quantity} onChange={(quantity) => edit({ quantity })} />
          <RxField label={t("pharmacy.rx.refills")} inputMode="numeric" value={form.refills} onChange={(refills) => edit({ refills })} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-pharmacy`}>{t("pharmacy.rx.pharmacy")}</label>
          <select id={`${id}-pharmacy`} value={form.pharmacy} onChange={(e) => edit({ pharmacy: e.target.value })}>
            <option value="">{t("pharmacy.rx.choosePharmacy")}</option>
            {pharmacies.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </div>
        {error && (
          <p className="alert" role="alert">
            {error}
          </p>
        )}
        {warning === null && (
          <button type="submit" className="primary" disabled={busy} aria-busy={busy}>
            {busy ? t("pharmacy.rx.sending") : t("pharmacy.rx.submit")}
          </button>
        )}
      </form>
      {warning !== null && (
        <form className="rx-warning" onSubmit={onOverride} noValidate aria-labelledby={`${id}-warn`}>
          <div role="alert">
            <h3 id={`${id}-warn`}>{t("pharmacy.rx.warningTitle")}</h3>
            <p>{warning}</p>
          </div>
          <RxField label={t("pharmacy.rx.overrideReason")} value={reason} onChange={setReason} error={reasonError} />
          <button type="submit" className="danger" disabled={busy} aria-busy={busy}>
            {t("pharmacy.rx.override")}
          </button>
        </form>
      )}
      <div role="status">
        {done && (
          <>
            <p className="success">{t("pharmacy.rx.done", { medication: done.p.medication.display, pharmacy: done.pharmacy })}</p>
            {/* A check the service could not (fully) run is a caution, not a success. */}
            <p className={done.p.allergy_check === "passed" ? "muted" : "rx-caution"}>{allergyCheckInWords(done.p.allergy_check)}</p>
          </>
        )}
      </div>
    </section>
  );
}
