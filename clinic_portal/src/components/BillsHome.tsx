// The patient's bills: their issued invoices from every organisation, newest first; one opens
// to its lines, totals, payments and credit notes, with its PDF and "Pay online" while a
// balance is owed. Back from the payment provider's checkout, the payment is followed until
// it settles. Below, their insurance coverages, and adding one.

import { useCallback, useEffect, useRef, useState } from "react";
import { api, type Me } from "../api/client";
import { t, useI18n } from "../i18n";
import { idParameter, isPayable, type InvoiceOut, type PaymentOut, type PendingPayment } from "../lib/billing";
import { formatDate, problemDetail } from "../lib/format";
import { formatMoney } from "../lib/money";
import { outcome } from "../lib/outcome";
import { usePaged } from "../lib/usePaged";
import { hashParameters } from "../screens";
import { ErrorAlert, Fact, Loading, PagedList } from "./common";
import { CoverageForm, CoverageList, useCoverages } from "./CoverageSection";
import { InvoicePdfButton } from "./InvoicePdfButton";
import { InvoiceCredits, InvoiceFacts, InvoiceLines, InvoicePayments, InvoiceStatus, InvoiceTotals, invoiceName } from "./InvoiceView";
import { PaymentOnlineButton, PaymentProgress, paymentToFollow } from "./PaymentOnline";

export function BillsHome({ me }: { me: Me }) {
  useI18n();
  const [following, setFollowing] = useState<PendingPayment | null>(() => {
    const params = hashParameters(window.location.hash);
    return paymentToFollow({ intent: idParameter(params, "intent"), invoice: idParameter(params, "invoice") });
  });
  const [selected, setSelected] = useState<string | null>(() => following?.invoice || null);
  // Focus moves to an invoice the person opened, not to one shown on its own.
  const [opened, setOpened] = useState(false);
  // Bumped when a payment settled: the open invoice is read again.
  const [round, setRound] = useState(0);
  const invoices = usePaged<InvoiceOut>("mine", (offset, limit) =>
    outcome(api.GET("/api/v1/invoices", { params: { query: { kind: "invoice", limit, offset } } })),
  );
  const reloadList = invoices.reload;
  const coverages = useCoverages(me.uhid);

  const settled = useCallback(
    (invoice: InvoiceOut | null) => {
      forgetReturnAddress();
      reloadList(0);
      if (invoice) setSelected(invoice.id);
      setOpened(false);
      setRound((r) => r + 1);
    },
    [reloadList],
  );

  return (
    <main className="content" id="main">
      <h1 className="page-title">{t("billing.bills.title")}</h1>
      {following && (
        <PaymentProgress
          intentId={following.intent}
          onSettled={settled}
          onDismiss={() => {
            forgetReturnAddress();
            setFollowing(null);
          }}
        />
      )}
      <div className="bill-layout">
        <section className="card" aria-labelledby="bill-list-heading">
          <h2 id="bill-list-heading">{t("billing.bills.heading")}</h2>
          <p className="muted">{t("billing.bills.intro")}</p>
          <PagedList
            page={invoices}
            what={t("billing.bills.what")}
            empty={t("billing.bills.none")}
            render={(invoice) => (
              <InvoiceItem
                key={invoice.id}
                invoice={invoice}
                current={invoice.id === selected}
                onOpen={() => {
                  setOpened(true);
                  setSelected(invoice.id);
                }}
              />
            )}
          />
        </section>
        {selected ? (
          <PatientInvoice key={`${selected}:${round}`} invoiceId={selected} focusOnLoad={opened} />
        ) : (
          <section className="card bill-placeholder" aria-label={t("billing.bills.detailsLabel")}>
            <p className="muted">{t("billing.bills.choose")}</p>
          </section>
        )}
      </div>
      <section className="card bill-insurance" aria-labelledby="bill-insurance-heading">
        <h2 id="bill-insurance-heading">{t("billing.coverage.heading")}</h2>
        <p className="muted">{t("billing.coverage.intro")}</p>
        <CoverageList coverages={coverages} />
        <CoverageForm uhid={me.uhid} onAdded={coverages.reload} />
      </section>
    </main>
  );
}

/** The checkout's return address (#/bills?invoice=…&intent=…) becomes plain #/bills once the
 * payment is followed up, so a reload does not follow it again. */
function forgetReturnAddress(): void {
  if (window.location.hash.startsWith("#/bills?")) {
    window.history.replaceState(window.history.state, "", `${window.location.pathname}${window.location.search}#/bills`);
  }
}

export function InvoiceItem({ invoice, current, onOpen }: { invoice: InvoiceOut; current: boolean; onOpen: () => void }) {
  return (
    <li className={current ? "item bill-item bill-item-current" : "item bill-item"}>
      <div className="item-head">
        <h3 className="item-title bill-item-title">
          <button type="button" className="bill-link" aria-current={current ? "true" : undefined} onClick={onOpen}>
            {invoiceName(invoice)}
          </button>
        </h3>
        <InvoiceStatus invoice={invoice} />
      </div>
      <dl className="facts">
        <Fact term={t("billing.invoice.organisation")}>{invoice.organization.name}</Fact>
        <Fact term={t("billing.invoice.date")}>{formatDate(invoice.issued_at ?? invoice.created_at)}</Fact>
        <Fact term={t("billing.total.total")}>{formatMoney(invoice.total)}</Fact>
        <Fact term={t("billing.total.balance")}>{formatMoney(invoice.balance)}</Fact>
      </dl>
    </li>
  );
}

type Loaded = { invoice: InvoiceOut; payments: PaymentOut[]; credits: InvoiceOut[] };

function PatientInvoice({ invoiceId, focusOnLoad }: { invoiceId: string; focusOnLoad: boolean }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState("");
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    let live = true;
    void (async () => {
      const path = { params: { path: { invoice_id: invoiceId } } };
      const [invoice, payments, credits] = await Promise.all([
        outcome(api.GET("/api/v1/invoices/{invoice_id}", path)),
        outcome(api.GET("/api/v1/invoices/{invoice_id}/payments", path)),
        outcome(api.GET("/api/v1/invoices", { params: { query: { kind: "credit_note", limit: 200 } } })),
      ]);
      if (!live) return;
      if (!invoice.ok) {
        setError(problemDetail(invoice.problem, invoice.status));
        return;
      }
      setLoaded({
        invoice: invoice.value,
        payments: payments.ok ? payments.value : [],
        credits: credits.ok ? credits.value.filter((n) => n.credit_of === invoiceId) : [],
      });
    })();
    return () => {
      live = false;
    };
  }, [invoiceId]);

  const focusRef = useRef(focusOnLoad);
  useEffect(() => {
    if (loaded && focusRef.current) heading.current?.focus();
  }, [loaded]);

  if (!loaded) {
    return (
      <section className="card" aria-label={t("billing.bills.detailsLabel")}>
        {error ? <ErrorAlert message={error} /> : <Loading what={t("billing.invoice.what")} />}
      </section>
    );
  }
  const { invoice, payments, credits } = loaded;
  return (
    <section className="card bill-details" aria-labelledby="bill-invoice-heading">
      <h2 id="bill-invoice-heading" tabIndex={-1} ref={heading}>
        {t("billing.invoice.heading", { number: invoiceName(invoice) })}
      </h2>
      <InvoiceFacts invoice={invoice} />
      <h3 className="bill-subheading">{t("billing.invoice.lines")}</h3>
      <InvoiceLines invoice={invoice} />
      <InvoiceTotals invoice={invoice} />
      <h3 className="bill-subheading">{t("billing.payments.heading")}</h3>
      <InvoicePayments payments={payments} />
      {credits.length > 0 && (
        <>
          <h3 className="bill-subheading">{t("billing.credit.notesHeading")}</h3>
          <InvoiceCredits notes={credits} />
        </>
      )}
      <div className="bill-actions">
        {isPayable(invoice) && <PaymentOnlineButton invoice={invoice} />}
        <InvoicePdfButton invoice={invoice} />
      </div>
    </section>
  );
}
