// The desk's billing screen (the helpdesk, a pharmacy's counter, the organisation's
// administrator): find the patient by UHID, then their invoices at this organisation — the
// draft that takes charges and the issued ones that take payments, credit notes and claims.
// Beside it, the services reported for billing that still wait for a price.

import { useCallback, useId, useState, type FormEvent, type ReactNode } from "react";
import { api, type Me, type PatientSummary } from "../api/client";
import { t, useI18n } from "../i18n";
import type { InvoiceOut } from "../lib/billing";
import { formatUhid, normaliseUhid } from "../lib/format";
import { outcome } from "../lib/outcome";
import { usePaged } from "../lib/usePaged";
import { BillChargeForm } from "./BillDeskForms";
import { BillDeskInvoice } from "./BillDeskInvoice";
import { InvoiceItem } from "./BillsHome";
import { BillUnpriced } from "./BillUnpriced";
import { ErrorAlert, PagedList } from "./common";
import { DEFAULT_CURRENCY } from "./CoverageSection";
import { PatientFinder } from "./PatientFinder";

type Patient = { uhid: string; name: string };

export function BillingDesk({ me }: { me: Me }) {
  useI18n();
  const [patient, setPatient] = useState<Patient | null>(null);
  // The administrator may bill without reading patients' details: a UHID is enough then.
  const readsPatients = me.permissions.includes("patient:read");
  const found = useCallback((p: PatientSummary | null) => setPatient(p ? { uhid: p.uhid, name: p.full_name } : null), []);

  return (
    <main className="content" id="main">
      <h1 className="page-title">{t("billing.desk.title")}</h1>
      <div className="bill-layout">
        <div className="bill-column">
          {readsPatients ? <PatientFinder onFound={found} /> : <BillUhidForm onChosen={setPatient} />}
          <BillUnpriced />
        </div>
        <div className="bill-column">
          {patient ? (
            <PatientBills key={patient.uhid} patient={patient} />
          ) : (
            <section className="card bill-placeholder" aria-label={t("billing.desk.patientLabel")}>
              <p className="muted">{t("billing.desk.findFirst")}</p>
            </section>
          )}
        </div>
      </div>
    </main>
  );
}

/** A UHID without a look-up of the patient's details (for those who may not read them). */
function BillUhidForm({ onChosen }: { onChosen: (patient: Patient | null) => void }) {
  const id = useId();
  const [typed, setTyped] = useState("");
  const [error, setError] = useState("");

  function choose(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const uhid = normaliseUhid(typed);
    if (!uhid) {
      setError(t("billing.desk.uhidInvalid"));
      onChosen(null);
      document.getElementById(id)?.focus();
      return;
    }
    setError("");
    onChosen({ uhid, name: "" });
  }

  return (
    <section className="card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{t("staff.find")}</h2>
      <form className="find-form" onSubmit={choose} noValidate>
        <div className="field">
          <label htmlFor={id}>{t("staff.uhid")}</label>
          <input
            id={id}
            type="text"
            inputMode="numeric"
            autoComplete="off"
            spellCheck={false}
            placeholder="12-3456-7890-1234"
            aria-invalid={error ? true : undefined}
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
          />
        </div>
        <button type="submit" className="primary">
          {t("staff.findButton")}
        </button>
      </form>
      <ErrorAlert message={error} />
    </section>
  );
}

function PatientBills({ patient }: { patient: Patient }) {
  const [selected, setSelected] = useState<string | null>(null);
  const [notice, setNotice] = useState("");
  const invoices = usePaged<InvoiceOut>(patient.uhid, (offset, limit) =>
    outcome(api.GET("/api/v1/invoices", { params: { query: { patient: patient.uhid, kind: "invoice", limit, offset } } })),
  );
  const reload = invoices.reload;
  const hasDraft = invoices.items.some((i) => i.status === "draft");
  const changed = useCallback(
    (invoice: InvoiceOut) => {
      setSelected(invoice.id);
      reload(0);
    },
    [reload],
  );
  const open = (id: string) => {
    setNotice("");
    setSelected(id);
  };
  const who = patient.name ? `${patient.name} (${formatUhid(patient.uhid)})` : formatUhid(patient.uhid);

  return (
    <>
      <section className="card" aria-labelledby="bill-desk-list-heading">
        <h2 id="bill-desk-list-heading">{t("billing.desk.invoicesOf", { who })}</h2>
        <PagedList
          page={invoices}
          what={t("billing.bills.what")}
          empty={t("billing.desk.none")}
          render={(invoice) => (
            <InvoiceItem key={invoice.id} invoice={invoice} current={invoice.id === selected} onOpen={() => open(invoice.id)} />
          )}
        />
        {invoices.status === "ready" && !hasDraft && (
          <NewBill open={invoices.items.length === 0}>
            <BillChargeForm
              patient={patient.uhid}
              currency={DEFAULT_CURRENCY}
              onAdded={(draft) => {
                setNotice(t("billing.charge.added"));
                changed(draft);
              }}
            />
          </NewBill>
        )}
      </section>
      {selected && <BillDeskInvoice key={selected} invoiceId={selected} onChanged={changed} initialNotice={notice} />}
    </>
  );
}

/** A new bill starts with its first charge: shown open while the patient has no bill here,
 * folded away under the list otherwise. */
function NewBill({ open, children }: { open: boolean; children: ReactNode }) {
  if (open) {
    return (
      <>
        <p className="hint">{t("billing.desk.newBillHint")}</p>
        {children}
      </>
    );
  }
  return (
    <details className="bill-more">
      <summary>{t("billing.desk.newBill")}</summary>
      <p className="hint">{t("billing.desk.newBillHint")}</p>
      {children}
    </details>
  );
}
