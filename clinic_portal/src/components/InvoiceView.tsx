// An invoice as the patient and the desk read it: its lines (service, quantity, unit price,
// tax, amount), its totals, what was paid and credited, and the balance still owed.

import { useId } from "react";
import { t } from "../i18n";
import { invoiceStatusBadge, type InvoiceOut, type PaymentOut } from "../lib/billing";
import { formatDate, formatDateTime } from "../lib/format";
import { formatMoney, isPositive, rateToPercent } from "../lib/money";
import { Badge, Fact } from "./common";

/** The invoice's number, or "Draft" while it has none. */
export function invoiceName(invoice: Pick<InvoiceOut, "number">): string {
  return invoice.number ?? t("billing.invoice.draftName");
}

export function InvoiceStatus({ invoice }: { invoice: Pick<InvoiceOut, "status"> }) {
  const badge = invoiceStatusBadge(invoice.status);
  return <Badge tone={badge.tone}>{badge.label}</Badge>;
}

/** The invoice's lines: a table on wider screens; on a phone (where five columns do not fit)
 * the same lines as a list, one service a row. CSS shows one of the two (display: none also
 * hides the other from screen readers). */
export function InvoiceLines({ invoice }: { invoice: InvoiceOut }) {
  const id = useId();
  if (invoice.lines.length === 0) return <p className="empty">{t("billing.invoice.noLines")}</p>;
  const caption = t("billing.invoice.linesCaption", { invoice: invoiceName(invoice) });
  return (
    <>
      <div className="bill-table-wrap" role="region" aria-labelledby={`${id}-caption`} tabIndex={0}>
        <table className="bill-table">
          <caption id={`${id}-caption`}>{caption}</caption>
          <thead>
            <tr>
              <th scope="col">{t("billing.line.service")}</th>
              <th scope="col" className="bill-num">
                {t("billing.line.quantity")}
              </th>
              <th scope="col" className="bill-num">
                {t("billing.line.unitPrice")}
              </th>
              <th scope="col" className="bill-num">
                {t("billing.line.tax")}
              </th>
              <th scope="col" className="bill-num">
                {t("billing.line.amount")}
              </th>
            </tr>
          </thead>
          <tbody>
            {invoice.lines.map((line) => (
              <tr key={line.id}>
                <th scope="row" className="bill-service">
                  {line.description}
                  {line.manual_reason && <span className="bill-reason">{t("billing.line.reason", { reason: line.manual_reason })}</span>}
                </th>
                <td className="bill-num">{line.quantity}</td>
                <td className="bill-num">{formatMoney(line.unit_price)}</td>
                <td className="bill-num">
                  {formatMoney(line.tax)}
                  <span className="bill-rate">{t("billing.line.rate", { rate: rateToPercent(line.tax_rate) })}</span>
                </td>
                <td className="bill-num">{formatMoney(line.amount)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ul className="bill-line-list" aria-label={caption}>
        {invoice.lines.map((line) => (
          <li key={line.id}>
            <div className="bill-line-head">
              <span className="bill-service">{line.description}</span>
              <span className="bill-amount">{formatMoney(line.amount)}</span>
            </div>
            <span className="bill-rate">
              {t("billing.line.summary", {
                quantity: line.quantity,
                price: formatMoney(line.unit_price),
                tax: formatMoney(line.tax),
                rate: rateToPercent(line.tax_rate),
              })}
            </span>
            {line.manual_reason && <span className="bill-reason">{t("billing.line.reason", { reason: line.manual_reason })}</span>}
          </li>
        ))}
      </ul>
    </>
  );
}

/** Net, tax, total; what the patient and the insurer paid, what was credited; the balance. */
export function InvoiceTotals({ invoice }: { invoice: InvoiceOut }) {
  return (
    <dl className="facts bill-totals">
      <Fact term={t("billing.total.net")}>{formatMoney(invoice.net_total)}</Fact>
      <Fact term={t("billing.total.tax")}>{formatMoney(invoice.tax_total)}</Fact>
      <Fact term={t("billing.total.total")}>{formatMoney(invoice.total)}</Fact>
      {isPositive(invoice.paid_total.amount) && <Fact term={t("billing.total.paid")}>{formatMoney(invoice.paid_total)}</Fact>}
      {isPositive(invoice.insurer_total.amount) && (
        <Fact term={t("billing.total.insurer")}>{formatMoney(invoice.insurer_total)}</Fact>
      )}
      {isPositive(invoice.credited_total.amount) && (
        <Fact term={t("billing.total.credited")}>{formatMoney(invoice.credited_total)}</Fact>
      )}
      <Fact term={t("billing.total.balance")}>
        <strong data-testid="invoice-balance">{formatMoney(invoice.balance)}</strong>
      </Fact>
    </dl>
  );
}

/** Who issued it, when, and its status. */
export function InvoiceFacts({ invoice }: { invoice: InvoiceOut }) {
  return (
    <dl className="facts">
      <Fact term={t("billing.invoice.organisation")}>{invoice.organization.name}</Fact>
      <Fact term={invoice.issued_at ? t("billing.invoice.issuedOn") : t("billing.invoice.startedOn")}>
        {formatDate(invoice.issued_at ?? invoice.created_at)}
      </Fact>
      <Fact term={t("billing.invoice.status")}>
        <InvoiceStatus invoice={invoice} />
      </Fact>
      {invoice.reason && <Fact term={t("billing.invoice.reason")}>{invoice.reason}</Fact>}
    </dl>
  );
}

const METHODS = { cash: "billing.method.cash", card: "billing.method.card", online: "billing.method.online" } as const;

function methodInWords(method: string): string {
  return method in METHODS ? t(METHODS[method as keyof typeof METHODS]) : method;
}

/** The payments of an invoice, oldest first (an amount refunded is said). */
export function InvoicePayments({ payments }: { payments: readonly PaymentOut[] }) {
  if (payments.length === 0) return <p className="muted">{t("billing.payments.none")}</p>;
  return (
    <ul className="bill-rows">
      {payments.map((p) => (
        <li key={p.id}>
          <span>
            {methodInWords(p.method)} · <time dateTime={p.created_at}>{formatDateTime(p.created_at)}</time>
          </span>
          <span className="bill-amount">
            {formatMoney(p.amount)}
            {isPositive(p.refunded.amount) && (
              <span className="bill-rate">{t("billing.payments.refunded", { amount: formatMoney(p.refunded) })}</span>
            )}
          </span>
        </li>
      ))}
    </ul>
  );
}

/** An invoice's credit notes (each its number, day and amount). */
export function InvoiceCredits({ notes }: { notes: readonly InvoiceOut[] }) {
  if (notes.length === 0) return null;
  return (
    <ul className="bill-rows">
      {notes.map((n) => (
        <li key={n.id}>
          <span>
            {invoiceName(n)} · {formatDate(n.issued_at ?? n.created_at)}
            {n.reason ? ` · ${n.reason}` : ""}
          </span>
          <span className="bill-amount">{formatMoney(n.total)}</span>
        </li>
      ))}
    </ul>
  );
}
