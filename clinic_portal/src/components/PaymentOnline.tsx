// Paying an invoice online: "Pay online" makes a payment intent and sends the patient to the
// payment provider's own checkout page; back from it, the payment is followed until the
// provider's signed webhook has settled the invoice (only the webhook settles it: the return
// to the portal proves nothing).

import { useEffect, useRef, useState } from "react";
import { api } from "../api/client";
import { t } from "../i18n";
import {
  forgetPendingPayment,
  newIdempotencyKey,
  pendingPayment,
  rememberPendingPayment,
  type IntentOut,
  type InvoiceOut,
  type PendingPayment,
} from "../lib/billing";
import { problemDetail } from "../lib/format";
import { formatMoney } from "../lib/money";
import { outcome } from "../lib/outcome";

function tabStorage(): Storage | null {
  try {
    return typeof sessionStorage === "undefined" ? null : sessionStorage;
  } catch {
    return null;
  }
}

/** Only a web address may be followed (never a javascript: or data: URL from an answer). */
function isWebAddress(url: string): boolean {
  try {
    const parsed = new URL(url, window.location.href);
    return parsed.protocol === "https:" || parsed.protocol === "http:";
  } catch {
    return false;
  }
}

export function PaymentOnlineButton({ invoice }: { invoice: Pick<InvoiceOut, "id" | "balance"> }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  // One key per attempt; kept when the answer never came, so a second press is the same intent.
  const key = useRef<string | null>(null);

  async function pay() {
    setBusy(true);
    setError("");
    key.current ??= newIdempotencyKey();
    const result = await outcome(
      api.POST("/api/v1/invoices/{invoice_id}/payment-intents", {
        params: { path: { invoice_id: invoice.id }, header: { "Idempotency-Key": key.current } },
      }),
    );
    if (!result.ok) {
      if (result.status !== 0 && result.status < 500) key.current = null;
      setBusy(false);
      setError(problemDetail(result.problem, result.status));
      return;
    }
    const intent = result.value;
    if (!isWebAddress(intent.checkout_url)) {
      setBusy(false);
      setError(t("billing.pay.badCheckout"));
      return;
    }
    rememberPendingPayment(tabStorage(), { intent: intent.id, invoice: invoice.id });
    window.location.assign(intent.checkout_url);
  }

  return (
    <div className="bill-action">
      <button type="button" className="primary" onClick={() => void pay()} disabled={busy} aria-busy={busy}>
        {busy ? t("billing.pay.opening") : t("billing.pay.online", { amount: formatMoney(invoice.balance) })}
      </button>
      <p className="hint">{t("billing.pay.onlineHint")}</p>
      {error && (
        <p className="alert" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** The payment to follow up: named by the address the checkout returned to
 * (#/bills?invoice=…&intent=…), or the one this tab left for (the patient came back
 * another way). */
export function paymentToFollow(address: { intent: string | null; invoice: string | null }): PendingPayment | null {
  const stored = pendingPayment(tabStorage());
  if (address.intent) {
    const invoice = address.invoice ?? (stored?.intent === address.intent ? stored.invoice : "");
    return { intent: address.intent, invoice };
  }
  return stored;
}

const POLL_MS = 1500;
const GIVE_UP_MS = 120_000;

type Progress =
  | { kind: "waiting" }
  | { kind: "paid"; invoice: InvoiceOut | null; intent: IntentOut }
  | { kind: "cancelled" }
  | { kind: "slow" }
  | { kind: "error"; message: string };

/** "Payment processing…" until the provider confirmed the payment, then "Paid" with the
 * invoice's new balance. `onSettled` lets the screen show the invoice as it now is. */
export function PaymentProgress({
  intentId,
  onSettled,
  onDismiss,
}: {
  intentId: string;
  onSettled: (invoice: InvoiceOut | null) => void;
  onDismiss: () => void;
}) {
  const [progress, setProgress] = useState<Progress>({ kind: "waiting" });
  const settled = useRef(onSettled);
  useEffect(() => {
    settled.current = onSettled;
  });

  useEffect(() => {
    let live = true;
    let timer = 0;
    const started = Date.now();
    const poll = async () => {
      const result = await outcome(api.GET("/api/v1/payment-intents/{intent_id}", { params: { path: { intent_id: intentId } } }));
      if (!live) return;
      if (result.ok && result.value.status === "succeeded") {
        const invoice = await outcome(
          api.GET("/api/v1/invoices/{invoice_id}", { params: { path: { invoice_id: result.value.invoice } } }),
        );
        if (!live) return;
        forgetPendingPayment(tabStorage());
        const now = invoice.ok ? invoice.value : null;
        setProgress({ kind: "paid", invoice: now, intent: result.value });
        settled.current(now);
        return;
      }
      if (result.ok && result.value.status === "cancelled") {
        forgetPendingPayment(tabStorage());
        setProgress({ kind: "cancelled" });
        return;
      }
      if (!result.ok && result.status === 404) {
        forgetPendingPayment(tabStorage());
        setProgress({ kind: "error", message: problemDetail(result.problem, result.status) });
        return;
      }
      if (Date.now() - started > GIVE_UP_MS) {
        setProgress({ kind: "slow" });
        return;
      }
      timer = window.setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [intentId]);

  return (
    <section className="card bill-progress" aria-labelledby="bill-progress-heading">
      <h2 id="bill-progress-heading">{t("billing.progress.heading")}</h2>
      {progress.kind === "waiting" && (
        <>
          <p className="muted loading" role="status">
            {t("billing.progress.processing")}
          </p>
          <p className="hint">{t("billing.progress.notFinished")}</p>
        </>
      )}
      {progress.kind === "paid" && (
        <p className="success" role="status">
          {progress.invoice
            ? t("billing.progress.paidBalance", {
                amount: formatMoney(progress.intent.amount),
                balance: formatMoney(progress.invoice.balance),
              })
            : t("billing.progress.paid", { amount: formatMoney(progress.intent.amount) })}
        </p>
      )}
      {progress.kind === "cancelled" && (
        <p className="alert" role="alert">
          {t("billing.progress.cancelled")}
        </p>
      )}
      {progress.kind === "slow" && (
        <p className="alert" role="alert">
          {t("billing.progress.slow")}
        </p>
      )}
      {progress.kind === "error" && (
        <p className="alert" role="alert">
          {progress.message}
        </p>
      )}
      <button
        type="button"
        className="secondary"
        onClick={() => {
          forgetPendingPayment(tabStorage());
          onDismiss();
        }}
      >
        {progress.kind === "waiting" ? t("billing.progress.stopWaiting") : t("billing.progress.close")}
      </button>
    </section>
  );
}
