// One of the patient's invoices at the desk: a draft takes charges and is issued (numbered);
// an issued one takes payments, is voided, credited or claimed from the insurer, and prints.

import { useEffect, useRef, useState } from "react";
import { api } from "../api/client";
import { t } from "../i18n";
import { deskActions, type InvoiceOut, type PaymentOut } from "../lib/billing";
import { problemDetail } from "../lib/format";
import { formatMoney } from "../lib/money";
import { outcome } from "../lib/outcome";
import { BillChargeForm, BillCreditForm, BillVoidForm } from "./BillDeskForms";
import { ErrorAlert, Loading } from "./common";
import { DeskClaimForm } from "./DeskClaimForm";
import { InvoicePdfButton } from "./InvoicePdfButton";
import { InvoiceCredits, InvoiceFacts, InvoiceLines, InvoicePayments, InvoiceTotals, invoiceName } from "./InvoiceView";
import { PaymentDeskForm } from "./PaymentDeskForm";

type Loaded = { invoice: InvoiceOut; payments: PaymentOut[]; credits: InvoiceOut[] };

export function BillDeskInvoice({
  invoiceId,
  onChanged,
  initialNotice = "",
}: {
  invoiceId: string;
  /** What was just done to it before it opened (a first charge made the draft). */
  initialNotice?: string;
  /** The invoice changed (a charge, issued, paid, voided, credited): the list shows it anew. */
  onChanged: (invoice: InvoiceOut) => void;
}) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState("");
  const [notice, setNotice] = useState(initialNotice);
  const [round, setRound] = useState(0);
  // A refused void stays in view, with its reason, after the invoice is read again.
  const [voidRefused, setVoidRefused] = useState(false);
  const changed = useRef(onChanged);
  useEffect(() => {
    changed.current = onChanged;
  });

  useEffect(() => {
    let live = true;
    void (async () => {
      const path = { params: { path: { invoice_id: invoiceId } } };
      const invoice = await outcome(api.GET("/api/v1/invoices/{invoice_id}", path));
      if (!live) return;
      if (!invoice.ok) {
        setError(problemDetail(invoice.problem, invoice.status));
        return;
      }
      const draft = invoice.value.status === "draft";
      const [payments, credits] = await Promise.all([
        draft ? Promise.resolve(null) : outcome(api.GET("/api/v1/invoices/{invoice_id}/payments", path)),
        draft
          ? Promise.resolve(null)
          : outcome(
              api.GET("/api/v1/invoices", {
                params: { query: { patient: invoice.value.patient, kind: "credit_note", limit: 200 } },
              }),
            ),
      ]);
      if (!live) return;
      setError("");
      setLoaded({
        invoice: invoice.value,
        payments: payments?.ok ? payments.value : [],
        credits: credits?.ok ? credits.value.filter((n) => n.credit_of === invoiceId) : [],
      });
    })();
    return () => {
      live = false;
    };
  }, [invoiceId, round]);

  const reread = (message: string) => {
    setNotice(message);
    setRound((r) => r + 1);
  };
  const adopt = (invoice: InvoiceOut, message: string) => {
    setNotice(message);
    setLoaded((prev) => (prev ? { ...prev, invoice } : prev));
    setRound((r) => r + 1);
    changed.current(invoice);
  };

  if (!loaded) {
    return (
      <section className="card" aria-label={t("billing.desk.invoiceLabel")}>
        {error ? <ErrorAlert message={error} /> : <Loading what={t("billing.invoice.what")} />}
      </section>
    );
  }
  const { invoice, payments, credits } = loaded;
  const can = deskActions(invoice);
  return (
    <section className="card bill-details" aria-labelledby="bill-desk-invoice-heading">
      <h2 id="bill-desk-invoice-heading">{t("billing.invoice.heading", { number: invoiceName(invoice) })}</h2>
      <p className="write-status bill-notice" role="status">
        {notice}
      </p>
      <ErrorAlert message={error} />
      <InvoiceFacts invoice={invoice} />
      <h3 className="bill-subheading">{t("billing.invoice.lines")}</h3>
      <InvoiceLines invoice={invoice} />
      <InvoiceTotals invoice={invoice} />
      {invoice.status !== "draft" && (
        <>
          <h3 className="bill-subheading">{t("billing.payments.heading")}</h3>
          <InvoicePayments payments={payments} />
        </>
      )}
      {credits.length > 0 && (
        <>
          <h3 className="bill-subheading">{t("billing.credit.notesHeading")}</h3>
          <InvoiceCredits notes={credits} />
        </>
      )}
      {can.addCharge && (
        <BillChargeForm
          patient={invoice.patient}
          currency={invoice.currency}
          onAdded={(draft) => adopt(draft, t("billing.charge.added"))}
        />
      )}
      {can.issue && <IssueInvoice invoice={invoice} onIssued={(issued) => adopt(issued, t("billing.issue.done", { number: issued.number ?? "" }))} />}
      {can.pay && (
        <PaymentDeskForm
          key={invoice.balance.amount}
          invoice={invoice}
          onPaid={(payment) => {
            reread(t("billing.pay.taken", { amount: formatMoney(payment.amount) }));
            changed.current(invoice);
          }}
        />
      )}
      {can.claim && <DeskClaimForm invoice={invoice} onClaimed={() => changed.current(invoice)} />}
      <div className="bill-actions">{can.pdf && <InvoicePdfButton invoice={invoice} />}</div>
      {can.credit && (
        <BillCreditForm
          invoice={invoice}
          onCredited={(note) => {
            reread(t("billing.credit.done", { number: note.number ?? "", amount: formatMoney(note.total) }));
            changed.current(invoice);
          }}
        />
      )}
      {(can.void || voidRefused) && invoice.status !== "void" && (
        <BillVoidForm
          invoice={invoice}
          onVoided={(voided) => adopt(voided, t("billing.void.done"))}
          onRefused={() => {
            setVoidRefused(true);
            setRound((r) => r + 1);
            changed.current(invoice);
          }}
        />
      )}
    </section>
  );
}

/** "Issue invoice", after a confirmation: it is numbered and can then only be credited. */
function IssueInvoice({ invoice, onIssued }: { invoice: InvoiceOut; onIssued: (invoice: InvoiceOut) => void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const confirmRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  async function issue() {
    setBusy(true);
    setError("");
    const result = await outcome(api.POST("/api/v1/invoices/{invoice_id}/issue", { params: { path: { invoice_id: invoice.id } } }));
    setBusy(false);
    if (!result.ok) {
      setError(problemDetail(result.problem, result.status));
      return;
    }
    setConfirming(false);
    onIssued(result.value);
  }

  return (
    <div className="bill-form bill-issue">
      {!confirming ? (
        <button type="button" className="primary" onClick={() => setConfirming(true)}>
          {t("billing.issue.button")}
        </button>
      ) : (
        <div role="group" aria-labelledby="bill-issue-question">
          <p id="bill-issue-question">{t("billing.issue.confirmQuestion", { total: formatMoney(invoice.total) })}</p>
          <div className="bill-actions">
            <button ref={confirmRef} type="button" className="primary" onClick={() => void issue()} disabled={busy} aria-busy={busy}>
              {t("billing.issue.confirm")}
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)} disabled={busy}>
              {t("billing.cancel")}
            </button>
          </div>
        </div>
      )}
      {error && (
        <p className="alert" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
