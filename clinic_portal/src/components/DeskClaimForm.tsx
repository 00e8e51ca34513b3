// "Submit claim": the desk claims an issued invoice from one of the patient's coverages; the
// claim then waits in the insurer's queue, and its status shows here.

import { useEffect, useId, useState, type FormEvent } from "react";
import { api } from "../api/client";
import { t } from "../i18n";
import { claimStatusBadge, type ClaimOut, type InvoiceOut, type Trouble } from "../lib/billing";
import { formatDateTime, problemDetail, problemFieldErrors } from "../lib/format";
import { formatMoney } from "../lib/money";
import { outcome } from "../lib/outcome";
import { Badge, TroubleAlert } from "./common";
import { coverageLabel, useCoverages } from "./CoverageSection";

/** The claims made for an invoice (from the organisation's newest 200). */
function useInvoiceClaims(invoiceId: string): [ClaimOut[], (claim: ClaimOut) => void] {
  const [claims, setClaims] = useState<ClaimOut[]>([]);
  useEffect(() => {
    let live = true;
    void outcome(api.GET("/api/v1/claims", { params: { query: { limit: 200 } } })).then((result) => {
      if (live && result.ok) setClaims(result.value.filter((c) => c.invoice === invoiceId));
    });
    return () => {
      live = false;
    };
  }, [invoiceId]);
  return [claims, (claim) => setClaims((prev) => [claim, ...prev.filter((c) => c.id !== claim.id)])];
}

export function DeskClaimClaims({ claims }: { claims: readonly ClaimOut[] }) {
  if (claims.length === 0) return null;
  return (
    <ul className="bill-rows" aria-label={t("billing.claim.listLabel")}>
      {claims.map((c) => {
        const badge = claimStatusBadge(c.status);
        return (
          <li key={c.id}>
            <span>
              {t("billing.claim.submittedOn", { when: formatDateTime(c.submitted_at) })} <Badge tone={badge.tone}>{badge.label}</Badge>
            </span>
            <span className="bill-amount">
              {c.approved_amount
                ? t("billing.claim.approvedOf", { approved: formatMoney(c.approved_amount), total: formatMoney(c.total) })
                : formatMoney(c.total)}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

export function DeskClaimForm({ invoice, onClaimed }: { invoice: InvoiceOut; onClaimed: (claim: ClaimOut) => void }) {
  const id = useId();
  const coverages = useCoverages(invoice.patient);
  const [claims, addClaim] = useInvoiceClaims(invoice.id);
  const [coverage, setCoverage] = useState("");
  const [trouble, setTrouble] = useState<Trouble | null>(null);
  const [saving, setSaving] = useState(false);
  const [done, setDone] = useState("");
  const alertId = `${id}-alert`;
  const invalid = trouble?.fields.includes("coverage") ?? false;
  // One claim at a time: another only after a denial.
  const inPlay = claims.some((c) => c.status !== "denied");

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (saving) return;
    setDone("");
    if (!coverage) {
      setTrouble({ lead: t("billing.claim.coverageNeeded"), lines: [], fields: ["coverage"] });
      document.getElementById(`${id}-coverage`)?.focus();
      return;
    }
    setSaving(true);
    setTrouble(null);
    const result = await outcome(api.POST("/api/v1/claims", { body: { invoice: invoice.id, coverage } }));
    setSaving(false);
    if (!result.ok) {
      setTrouble({ lead: problemDetail(result.problem, result.status), lines: problemFieldErrors(result.problem), fields: ["coverage"] });
      return;
    }
    addClaim(result.value);
    setDone(t("billing.claim.submitted", { status: claimStatusBadge(result.value.status).label }));
    onClaimed(result.value);
  }

  return (
    <section className="bill-form" aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`}>{t("billing.claim.heading")}</h3>
      <DeskClaimClaims claims={claims} />
      {inPlay ? null : coverages.status === "ready" && coverages.items.length === 0 ? (
        <p className="muted">{t("billing.claim.noCoverage")}</p>
      ) : (
        <form onSubmit={(e) => void submit(e)} noValidate className="bill-inline">
          <div className="field">
            <label htmlFor={`${id}-coverage`}>{t("billing.claim.coverage")}</label>
            <select
              id={`${id}-coverage`}
              value={coverage}
              onChange={(e) => setCoverage(e.target.value)}
              aria-invalid={invalid || undefined}
              aria-describedby={invalid ? alertId : undefined}
            >
              <option value="">{coverages.status === "loading" ? t("billing.coverage.loading") : t("billing.claim.chooseCoverage")}</option>
              {coverages.items.map((c) => (
                <option key={c.id} value={c.id}>
                  {coverageLabel(c)}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="secondary" disabled={saving} aria-busy={saving}>
            {t("billing.claim.submit")}
          </button>
        </form>
      )}
      {coverages.status === "error" && (
        <p className="alert" role="alert">
          {coverages.error}
        </p>
      )}
      <TroubleAlert trouble={trouble} id={alertId} />
      <p className="write-status" role="status">
        {done}
      </p>
    </section>
  );
}
