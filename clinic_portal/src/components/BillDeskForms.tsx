// The desk's changes to a patient's bill: a manual charge (with its reason) on the draft,
// voiding an invoice issued in error before anything was paid, and a credit note (the whole
// invoice, or parts of lines) — an issued invoice is never edited.

import { useId, useRef, useState, type FormEvent } from "react";
import { api } from "../api/client";
import { t } from "../i18n";
import {
  buildCharge,
  buildCreditLines,
  EMPTY_CHARGE,
  keepKeyForRetry,
  newIdempotencyKey,
  troubleOf,
  type ChargeInput,
  type InvoiceOut,
  type Trouble,
} from "../lib/billing";
import { problemDetail, problemFieldErrors } from "../lib/format";
import { formatMoney } from "../lib/money";
import { outcome } from "../lib/outcome";
import { TroubleAlert } from "./common";

function fromAnswer(problem: unknown, status: number, fields: string[] = []): Trouble {
  return { lead: problemDetail(problem, status), lines: problemFieldErrors(problem), fields };
}

function useControls(trouble: Trouble | null) {
  const id = useId();
  const alertId = `${id}-alert`;
  const control = (field: string) => {
    const invalid = trouble?.fields.includes(field) ?? false;
    return { id: `${id}-${field}`, "aria-invalid": invalid || undefined, ...(invalid ? { "aria-describedby": alertId } : {}) };
  };
  const focus = (field: string | undefined) => {
    if (field) document.getElementById(`${id}-${field}`)?.focus();
  };
  return { id, alertId, control, focus };
}

export function BillChargeForm({
  patient,
  currency,
  onAdded,
}: {
  patient: string;
  currency: string;
  onAdded: (draft: InvoiceOut) => void;
}) {
  const [input, setInput] = useState<ChargeInput>(EMPTY_CHARGE);
  const [trouble, setTrouble] = useState<Trouble | null>(null);
  const [saving, setSaving] = useState(false);
  const savingRef = useRef(false);
  // One Idempotency-Key per charge: kept when no answer came (a retry then adds nothing),
  // dropped once answered or when the charge is changed.
  const key = useRef<string | null>(null);
  const { id, alertId, control, focus } = useControls(trouble);
  const set = (field: keyof ChargeInput) => (value: string) => {
    key.current = null;
    setInput((prev) => ({ ...prev, [field]: value }));
  };

  async function add(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (savingRef.current) return;
    const built = buildCharge(patient, input, currency);
    if (!built.ok) {
      setTrouble(troubleOf(built.errors));
      focus(built.errors[0]?.field);
      return;
    }
    key.current ??= newIdempotencyKey();
    savingRef.current = true;
    setSaving(true);
    setTrouble(null);
    const result = await outcome(
      api.POST("/api/v1/charges", { params: { header: { "Idempotency-Key": key.current } }, body: built.value }),
    );
    savingRef.current = false;
    setSaving(false);
    if (!result.ok) {
      if (!keepKeyForRetry(result.status)) key.current = null;
      setTrouble(fromAnswer(result.problem, result.status));
      return;
    }
    key.current = null;
    setInput(EMPTY_CHARGE);
    onAdded(result.value.invoice);
  }

  return (
    <form className="bill-form" onSubmit={(e) => void add(e)} noValidate aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`}>{t("billing.charge.heading")}</h3>
      <div className="bill-fields">
        <div className="field bill-wide">
          <label htmlFor={`${id}-description`}>{t("billing.charge.description")}</label>
          <input {...control("description")} autoComplete="off" value={input.description} onChange={(e) => set("description")(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-code`}>{t("billing.charge.code")}</label>
          <input {...control("code")} autoComplete="off" value={input.code} onChange={(e) => set("code")(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-quantity`}>{t("billing.charge.quantity")}</label>
          <input {...control("quantity")} inputMode="numeric" autoComplete="off" value={input.quantity} onChange={(e) => set("quantity")(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-unitPrice`}>{t("billing.charge.unitPriceIn", { currency })}</label>
          <input {...control("unitPrice")} inputMode="decimal" autoComplete="off" value={input.unitPrice} onChange={(e) => set("unitPrice")(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-taxPercent`}>{t("billing.charge.taxPercent")}</label>
          <input {...control("taxPercent")} inputMode="decimal" autoComplete="off" value={input.taxPercent} onChange={(e) => set("taxPercent")(e.target.value)} />
        </div>
        <div className="field bill-wide">
          <label htmlFor={`${id}-reason`}>{t("billing.charge.reason")}</label>
          <input {...control("reason")} autoComplete="off" value={input.reason} onChange={(e) => set("reason")(e.target.value)} />
        </div>
      </div>
      <button type="submit" className="primary" disabled={saving} aria-busy={saving}>
        {saving ? t("billing.saving") : t("billing.charge.add")}
      </button>
      <TroubleAlert trouble={trouble} id={alertId} />
    </form>
  );
}

/** "Void": only while nothing was paid, settled or credited on the invoice; a reason is kept. */
export function BillVoidForm({
  invoice,
  onVoided,
  onRefused,
}: {
  invoice: InvoiceOut;
  onVoided: (invoice: InvoiceOut) => void;
  /** The service refused it (paid meanwhile, say): the screen reads the invoice again. */
  onRefused: () => void;
}) {
  const [reason, setReason] = useState("");
  const [trouble, setTrouble] = useState<Trouble | null>(null);
  const [saving, setSaving] = useState(false);
  const { id, alertId, control, focus } = useControls(trouble);

  async function voidIt(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (saving) return;
    if (!reason.trim()) {
      setTrouble({ lead: t("billing.void.reasonNeeded"), lines: [], fields: ["reason"] });
      focus("reason");
      return;
    }
    setSaving(true);
    setTrouble(null);
    const result = await outcome(
      api.POST("/api/v1/invoices/{invoice_id}/void", { params: { path: { invoice_id: invoice.id } }, body: { reason: reason.trim() } }),
    );
    setSaving(false);
    if (!result.ok) {
      setTrouble(fromAnswer(result.problem, result.status, ["reason"]));
      if (result.status === 409) onRefused();
      return;
    }
    onVoided(result.value);
  }

  return (
    <details className="bill-more">
      <summary>{t("billing.void.heading")}</summary>
      <form className="bill-form" onSubmit={(e) => void voidIt(e)} noValidate aria-label={t("billing.void.heading")}>
        <p className="hint">{t("billing.void.hint")}</p>
        <div className="field">
          <label htmlFor={`${id}-reason`}>{t("billing.void.reason")}</label>
          <input {...control("reason")} autoComplete="off" value={reason} onChange={(e) => setReason(e.target.value)} />
        </div>
        <button type="submit" className="danger" disabled={saving} aria-busy={saving}>
          {t("billing.void.confirm", { number: invoice.number ?? "" })}
        </button>
        <TroubleAlert trouble={trouble} id={alertId} />
      </form>
    </details>
  );
}

/** "Credit note": the whole invoice, or amounts of chosen lines (tax included). */
export function BillCreditForm({ invoice, onCredited }: { invoice: InvoiceOut; onCredited: (note: InvoiceOut) => void }) {
  const [reason, setReason] = useState("");
  const [whole, setWhole] = useState(true);
  const [amounts, setAmounts] = useState<Record<string, string>>({});
  const [trouble, setTrouble] = useState<Trouble | null>(null);
  const [saving, setSaving] = useState(false);
  // The Idempotency-Key of the credit note last sent without an answer: sent again with the
  // same note (a retry credits nothing more), never with a changed one.
  const pending = useRef<{ body: string; key: string } | null>(null);
  const { id, alertId, control, focus } = useControls(trouble);

  async function credit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (saving) return;
    const errors: { field: string; message: string }[] = [];
    if (!reason.trim()) errors.push({ field: "reason", message: t("billing.credit.reasonNeeded") });
    const lines = whole ? null : buildCreditLines(invoice.lines, amounts);
    if (lines && !lines.ok) errors.push(...lines.errors);
    if (errors.length > 0) {
      setTrouble(troubleOf(errors));
      focus(errors[0]?.field);
      return;
    }
    const body = { reason: reason.trim(), ...(lines?.ok ? { lines: lines.value } : {}) };
    const text = JSON.stringify(body);
    if (pending.current?.body !== text) pending.current = { body: text, key: newIdempotencyKey() };
    setSaving(true);
    setTrouble(null);
    const result = await outcome(
      api.POST("/api/v1/invoices/{invoice_id}/credit-notes", {
        params: { path: { invoice_id: invoice.id }, header: { "Idempotency-Key": pending.current.key } },
        body,
      }),
    );
    setSaving(false);
    if (!result.ok) {
      if (!keepKeyForRetry(result.status)) pending.current = null;
      setTrouble(fromAnswer(result.problem, result.status));
      return;
    }
    pending.current = null;
    onCredited(result.value);
  }

  return (
    <details className="bill-more">
      <summary>{t("billing.credit.heading")}</summary>
      <form className="bill-form" onSubmit={(e) => void credit(e)} noValidate aria-label={t("billing.credit.heading")}>
        <div className="field">
          <label htmlFor={`${id}-reason`}>{t("billing.credit.reason")}</label>
          <input {...control("reason")} autoComplete="off" value={reason} onChange={(e) => setReason(e.target.value)} />
        </div>
        <fieldset className="bill-choice">
          <legend>{t("billing.credit.what")}</legend>
          <label className="bill-radio">
            <input type="radio" name={`${id}-whole`} checked={whole} onChange={() => setWhole(true)} />
            {t("billing.credit.whole", { amount: formatMoney(invoice.balance) })}
          </label>
          <label className="bill-radio">
            <input type="radio" name={`${id}-whole`} checked={!whole} onChange={() => setWhole(false)} />
            {t("billing.credit.perLine")}
          </label>
        </fieldset>
        {!whole && (
          <div className="bill-fields">
            {invoice.lines.map((line) => (
              <div className="field" key={line.id}>
                <label htmlFor={`${id}-line-${line.id}`}>
                  {t("billing.credit.lineAmount", { line: line.description, amount: formatMoney(line.amount) })}
                </label>
                <input
                  {...control(`line-${line.id}`)}
                  inputMode="decimal"
                  autoComplete="off"
                  value={amounts[line.id] ?? ""}
                  onChange={(e) => setAmounts((prev) => ({ ...prev, [line.id]: e.target.value }))}
                />
              </div>
            ))}
          </div>
        )}
        <button type="submit" className="primary" disabled={saving} aria-busy={saving}>
          {saving ? t("billing.saving") : t("billing.credit.write")}
        </button>
        <TroubleAlert trouble={trouble} id={alertId} />
      </form>
    </details>
  );
}
