// "Take payment" at the desk: cash or card, the amount prefilled with the balance, the card
// terminal's reference optional. Each payment carries an Idempotency-Key; when the answer
// never came (the network failed) the same key is sent again with the retry, so the service
// answers the first payment instead of taking a second one.

import { useId, useRef, useState, type FormEvent } from "react";
import { api } from "../api/client";
import { t } from "../i18n";
import { keepKeyForRetry, newIdempotencyKey, type InvoiceOut, type PaymentOut, type Trouble } from "../lib/billing";
import { problemDetail, problemFieldErrors } from "../lib/format";
import { isPositive, parseAmount } from "../lib/money";
import { outcome } from "../lib/outcome";
import { TroubleAlert } from "./common";

export function PaymentDeskForm({ invoice, onPaid }: { invoice: InvoiceOut; onPaid: (payment: PaymentOut) => void }) {
  const id = useId();
  const [method, setMethod] = useState<"cash" | "card">("cash");
  const [amount, setAmount] = useState(invoice.balance.amount);
  const [reference, setReference] = useState("");
  const [trouble, setTrouble] = useState<Trouble | null>(null);
  const [sending, setSending] = useState(false);
  const [retrying, setRetrying] = useState(false);
  const key = useRef<string | null>(null);
  const sendingRef = useRef(false);
  const alertId = `${id}-alert`;
  const control = (field: string) => {
    const invalid = trouble?.fields.includes(field) ?? false;
    return { id: `${id}-${field}`, "aria-invalid": invalid || undefined, ...(invalid ? { "aria-describedby": alertId } : {}) };
  };

  async function take(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (sendingRef.current) return;
    const typed = parseAmount(amount);
    if (typed === null || !isPositive(typed)) {
      setTrouble({ lead: t("billing.pay.amountInvalid"), lines: [], fields: ["amount"] });
      document.getElementById(`${id}-amount`)?.focus();
      return;
    }
    const ref = reference.trim();
    key.current ??= newIdempotencyKey();
    sendingRef.current = true;
    setSending(true);
    setTrouble(null);
    const result = await outcome(
      api.POST("/api/v1/invoices/{invoice_id}/payments", {
        params: { path: { invoice_id: invoice.id }, header: { "Idempotency-Key": key.current } },
        body: { method, amount: { amount: typed, currency: invoice.currency }, ...(method === "card" && ref ? { reference: ref } : {}) },
      }),
    );
    sendingRef.current = false;
    setSending(false);
    if (!result.ok) {
      const keep = keepKeyForRetry(result.status);
      if (!keep) key.current = null;
      setRetrying(keep);
      // A refusal about the amount (more than the balance) is shown at the amount.
      setTrouble({
        lead: keep ? t("billing.pay.retry", { reason: problemDetail(result.problem, result.status) }) : problemDetail(result.problem, result.status),
        lines: problemFieldErrors(result.problem),
        fields: result.status === 409 || result.status === 422 ? ["amount"] : [],
      });
      if (result.status === 409) document.getElementById(`${id}-amount`)?.focus();
      return;
    }
    key.current = null;
    setRetrying(false);
    onPaid(result.value);
  }

  return (
    <form className="bill-form" onSubmit={(e) => void take(e)} noValidate aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`}>{t("billing.pay.heading")}</h3>
      <fieldset className="bill-choice">
        <legend>{t("billing.pay.method")}</legend>
        {(["cash", "card"] as const).map((m) => (
          <label key={m} className="bill-radio">
            <input type="radio" name={`${id}-method`} value={m} checked={method === m} onChange={() => setMethod(m)} />
            {t(`billing.method.${m}`)}
          </label>
        ))}
      </fieldset>
      <div className="bill-fields">
        <div className="field">
          <label htmlFor={`${id}-amount`}>{t("billing.pay.amountIn", { currency: invoice.currency })}</label>
          <input
            {...control("amount")}
            inputMode="decimal"
            autoComplete="off"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
          />
          <TroubleAlert trouble={trouble} id={alertId} />
        </div>
        {method === "card" && (
          <div className="field">
            <label htmlFor={`${id}-reference`}>{t("billing.pay.reference")}</label>
            <input
              id={`${id}-reference`}
              autoComplete="off"
              aria-describedby={`${id}-reference-hint`}
              value={reference}
              onChange={(e) => setReference(e.target.value)}
            />
            <p className="hint" id={`${id}-reference-hint`}>
              {t("billing.pay.referenceHint")}
            </p>
          </div>
        )}
      </div>
      <button type="submit" className="primary" disabled={sending} aria-busy={sending}>
        {sending ? t("billing.pay.taking") : retrying ? t("billing.pay.tryAgain") : t("billing.pay.take")}
      </button>
    </form>
  );
}
