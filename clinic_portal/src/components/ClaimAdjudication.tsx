// The insurer's decision on a claim: approved (the amount prefilled with what the coverage
// pays, as the API computes it, or left blank for the API to compute), partly approved with
// an amount per item (their sum shown as it is typed), or denied with a reason.

import { useId, useState, type FormEvent } from "react";
import { api } from "../api/client";
import type { components } from "../api/schema";
import { t } from "../i18n";
import { problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import { centsOf, centsText, coveragePays, formatMoney, typedCents } from "../lib/reports";
import type { Claim } from "./ClaimQueue";
import { FinField } from "./ReportParts";

type Coverage = components["schemas"]["CoverageOut"];
type Decision = "approved" | "partial" | "denied";

export function ClaimAdjudication({
  claim,
  coverage,
  onDecided,
}: {
  claim: Claim;
  coverage: Coverage | null;
  onDecided: (claim: Claim) => void;
}) {
  const id = useId();
  const currency = claim.total.currency;
  const computed = coverage ? coveragePays(claim.total.amount, coverage.copay.amount, coverage.coinsurance) : null;
  const [decision, setDecision] = useState<Decision>("approved");
  const [amount, setAmount] = useState<string | null>(null); // null: not touched, the computed one
  const [perItem, setPerItem] = useState<Record<number, string>>({});
  const [reason, setReason] = useState("");
  const [errors, setErrors] = useState<{ amount?: string | undefined; items?: Record<number, string> | undefined; reason?: string | undefined }>({});
  const [failure, setFailure] = useState("");
  const [busy, setBusy] = useState(false);

  const shownAmount = amount ?? computed ?? "";
  const itemCents = claim.items.map((item) => typedCents(perItem[item.sequence] ?? "") ?? 0n);
  const partialSum = itemCents.reduce((a, b) => a + b, 0n);
  const total = centsOf(claim.total.amount) ?? 0n;

  function body(): components["schemas"]["AdjudicationCreate"] | null {
    if (decision === "denied") {
      if (!reason.trim()) {
        setErrors({ reason: t("finance.adjudicate.reasonRequired") });
        return null;
      }
      return { outcome: "denied", reason: reason.trim() };
    }
    if (decision === "approved") {
      if (!shownAmount.trim()) return { outcome: "approved" }; // the API computes the coverage's share
      const cents = typedCents(shownAmount);
      if (cents === null || cents > total) {
        setErrors({ amount: t("finance.adjudicate.amountRange", { total: formatMoney(claim.total) }) });
        return null;
      }
      return { outcome: "approved", approved_amount: { amount: centsText(cents), currency } };
    }
    const itemErrors: Record<number, string> = {};
    claim.items.forEach((item) => {
      const typed = perItem[item.sequence] ?? "";
      const cents = typed.trim() ? typedCents(typed) : 0n;
      if (cents === null) itemErrors[item.sequence] = t("finance.amountInvalid");
      else if (cents > (centsOf(item.amount.amount) ?? 0n)) itemErrors[item.sequence] = t("finance.adjudicate.itemAbove");
    });
    if (Object.keys(itemErrors).length) {
      setErrors({ items: itemErrors });
      return null;
    }
    if (partialSum <= 0n || partialSum >= total) {
      setErrors({ amount: t("finance.adjudicate.partialRange", { total: formatMoney(claim.total) }) });
      return null;
    }
    return {
      outcome: "partial",
      approved_amount: { amount: centsText(partialSum), currency },
      items: claim.items.map((item, n) => ({ sequence: item.sequence, approved_amount: { amount: centsText(itemCents[n] ?? 0n), currency } })),
      reason: reason.trim() || null,
    };
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setFailure("");
    setErrors({});
    const chosen = body();
    if (!chosen) return;
    setBusy(true);
    const result = await outcome(
      api.POST("/api/v1/claims/{claim_id}/adjudication", { params: { path: { claim_id: claim.id } }, body: chosen }),
    );
    setBusy(false);
    if (result.ok) onDecided(result.value);
    else setFailure(problemDetail(result.problem, result.status));
  }

  const choices: { value: Decision; label: string }[] = [
    { value: "approved", label: t("finance.adjudicate.approved") },
    { value: "partial", label: t("finance.adjudicate.partial") },
    { value: "denied", label: t("finance.adjudicate.denied") },
  ];

  return (
    <form className="fin-form fin-adjudicate" onSubmit={(e) => void submit(e)} noValidate aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{t("finance.adjudicate.title")}</h3>
      <fieldset className="fin-choices">
        <legend>{t("finance.adjudicate.outcome")}</legend>
        {choices.map((c) => (
          <label key={c.value} className="fin-choice">
            <input
              type="radio"
              name={`${id}-decision`}
              value={c.value}
              checked={decision === c.value}
              onChange={() => {
                setDecision(c.value);
                setErrors({});
              }}
            />
            {c.label}
          </label>
        ))}
      </fieldset>

      {decision === "approved" && (
        <FinField
          label={t("finance.adjudicate.amount", { currency })}
          value={shownAmount}
          onChange={setAmount}
          inputMode="decimal"
          hint={
            computed
              ? t("finance.adjudicate.computedHint", { amount: formatMoney({ amount: computed, currency }) })
              : t("finance.adjudicate.blankHint")
          }
          error={errors.amount}
        />
      )}

      {decision === "partial" && (
        <>
          <fieldset className="fin-items">
            <legend>{t("finance.adjudicate.perItem", { currency })}</legend>
            {claim.items.map((item) => (
              <FinField
                key={item.sequence}
                label={t("finance.adjudicate.itemAmount", { service: item.description })}
                value={perItem[item.sequence] ?? ""}
                onChange={(v) => setPerItem((p) => ({ ...p, [item.sequence]: v }))}
                inputMode="decimal"
                hint={t("finance.adjudicate.itemOf", { amount: formatMoney(item.amount) })}
                error={errors.items?.[item.sequence]}
              />
            ))}
          </fieldset>
          <p className="fin-sum" aria-live="polite">
            {t("finance.adjudicate.sum", {
              sum: formatMoney({ amount: centsText(partialSum), currency }),
              total: formatMoney(claim.total),
            })}
          </p>
          {errors.amount && (
            <p className="alert" role="alert">
              {errors.amount}
            </p>
          )}
        </>
      )}

      {decision !== "approved" && (
        <div className="field fin-field">
          <label htmlFor={`${id}-reason`}>
            {decision === "denied" ? t("finance.adjudicate.reason") : t("finance.adjudicate.note")}
          </label>
          <textarea
            id={`${id}-reason`}
            value={reason}
            maxLength={500}
            rows={3}
            onChange={(e) => {
              setReason(e.target.value);
              setErrors((er) => ({ ...er, reason: undefined }));
            }}
            required={decision === "denied"}
            aria-invalid={errors.reason ? true : undefined}
            aria-describedby={errors.reason ? `${id}-reason-error` : `${id}-reason-hint`}
          />
          <p className="hint" id={`${id}-reason-hint`}>
            {t("finance.adjudicate.reasonHint")}
          </p>
          {errors.reason && (
            <p className="alert" role="alert" id={`${id}-reason-error`}>
              {errors.reason}
            </p>
          )}
        </div>
      )}

      {failure && (
        <p className="alert" role="alert">
          {failure}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy} aria-busy={busy}>
        {t("finance.adjudicate.submit")}
      </button>
    </form>
  );
}
