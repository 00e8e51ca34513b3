// One claim addressed to the insurer: its items, the patient's coverage, the FHIR Claim as a
// JSON file, the supporting records' ids, and the adjudication (or, once decided, its outcome
// and the ClaimResponse).

import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { components } from "../api/schema";
import { t } from "../i18n";
import { formatUhid, problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import { formatDay, formatMoney, percentOf, type ClaimParties } from "../lib/reports";
import { ClaimAdjudication } from "./ClaimAdjudication";
import { CLAIM_STATUS, fetchClaimFhir, type Claim } from "./ClaimQueue";
import { Badge, Fact } from "./common";
import { saveBlob } from "./ReportParts";

type Coverage = components["schemas"]["CoverageOut"];

function useCoverage(claim: Claim, parties: ClaimParties | null): { coverage: Coverage | null; patient: string | null; error: string } {
  const [state, setState] = useState<{ coverage: Coverage | null; patient: string | null; error: string }>({
    coverage: null,
    patient: parties?.patient ?? null,
    error: "",
  });
  useEffect(() => {
    let live = true;
    void (async () => {
      // The claim names its patient only in its FHIR form; the coverage is read by the UHID.
      const uhid = parties?.patient ?? (await fetchClaimFhir(claim.id))?.parties.patient ?? null;
      if (!uhid) return;
      const result = await outcome(api.GET("/api/v1/patients/{uhid}/coverages", { params: { path: { uhid } } }));
      if (!live) return;
      if (result.ok) setState({ coverage: result.value.find((c) => c.id === claim.coverage) ?? null, patient: uhid, error: "" });
      else setState({ coverage: null, patient: uhid, error: problemDetail(result.problem, result.status) });
    })();
    return () => {
      live = false;
    };
  }, [claim.id, claim.coverage, parties?.patient]);
  return state;
}

function FhirDownload({ claimId, response }: { claimId: string; response: boolean }) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  async function download() {
    setBusy(true);
    setError("");
    const fhir = await fetchClaimFhir(claimId, response);
    setBusy(false);
    if (!fhir) {
      setError(t("finance.claims.fhirFailed"));
      return;
    }
    // Saved as a file, never rendered: the JSON is the insurer's to read in its own tools.
    saveBlob(new Blob([fhir.text], { type: "application/fhir+json" }), `${response ? "claim-response" : "claim"}-${claimId}.json`);
  }
  return (
    <>
      <button type="button" className="secondary" onClick={() => void download()} disabled={busy} aria-busy={busy}>
        {response ? t("finance.claims.responseJson") : t("finance.claims.claimJson")}
      </button>
      {error && (
        <p className="alert" role="alert">
          {error}
        </p>
      )}
    </>
  );
}

export function ClaimDetail({
  claim: initial,
  parties,
  onDecided,
  onClose,
}: {
  claim: Claim;
  parties: ClaimParties | null;
  onDecided: () => void;
  onClose: () => void;
}) {
  const [claim, setClaim] = useState(initial);
  const { coverage, patient, error } = useCoverage(claim, parties);
  const status = CLAIM_STATUS[claim.status];
  const supporting = claim.items.filter((i) => i.record_id);
  const who = patient ? formatUhid(patient) : "…";

  return (
    <section className="card fin-claim" aria-labelledby="fin-claim-title">
      <h2 id="fin-claim-title" tabIndex={-1}>
        {t("finance.claims.detailTitle", { patient: who })}
      </h2>
      <dl className="facts fin-facts">
        <Fact term={t("finance.claims.status")}>
          <Badge tone={status.tone}>{t(status.label)}</Badge>
        </Fact>
        <Fact term={t("finance.claims.provider")}>{parties?.provider ?? "…"}</Fact>
        <Fact term={t("finance.claims.total")}>{formatMoney(claim.total)}</Fact>
        {claim.approved_amount && <Fact term={t("finance.claims.approved")}>{formatMoney(claim.approved_amount)}</Fact>}
        {claim.reason && <Fact term={t("finance.claims.reason")}>{claim.reason}</Fact>}
      </dl>

      <h3>{t("finance.claims.items")}</h3>
      <table className="fin-table">
        <caption className="fin-visually-hidden">{t("finance.claims.items")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("finance.claims.service")}</th>
            <th scope="col" className="fin-num">
              {t("finance.claims.amount")}
            </th>
            {claim.status !== "submitted" && (
              <th scope="col" className="fin-num">
                {t("finance.claims.approved")}
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {claim.items.map((item) => (
            <tr key={item.sequence}>
              <th scope="row">{item.description}</th>
              <td data-label={t("finance.claims.amount")} className="fin-num">{formatMoney(item.amount)}</td>
              {claim.status !== "submitted" && (
                <td data-label={t("finance.claims.approved")} className="fin-num">{item.approved_amount ? formatMoney(item.approved_amount) : t("finance.none")}</td>
              )}
            </tr>
          ))}
        </tbody>
      </table>

      <h3>{t("finance.claims.coverage")}</h3>
      {coverage ? (
        <dl className="facts fin-facts">
          <Fact term={t("finance.claims.member")}>{coverage.member_id}</Fact>
          <Fact term={t("finance.claims.plan")}>{coverage.plan}</Fact>
          <Fact term={t("finance.claims.copay")}>{formatMoney(coverage.copay)}</Fact>
          <Fact term={t("finance.claims.coinsurance")}>{t("finance.percent", { value: percentOf(coverage.coinsurance) })}</Fact>
          <Fact term={t("finance.claims.validity")}>
            {t("finance.claims.validRange", { from: formatDay(coverage.valid_from), to: formatDay(coverage.valid_to) })}
          </Fact>
        </dl>
      ) : error ? (
        <p className="alert" role="alert">
          {error}
        </p>
      ) : (
        <p className="muted">{t("finance.claims.coverageLoading")}</p>
      )}

      <h3>{t("finance.claims.records")}</h3>
      {supporting.length === 0 ? (
        <p className="muted">{t("finance.claims.noRecords")}</p>
      ) : (
        <>
          <p className="hint">{t("finance.claims.recordsNote")}</p>
          <ul className="fin-records">
            {supporting.map((item) => (
              <li key={item.sequence}>
                <span>{item.description}</span> <code>{item.record_id}</code>
              </li>
            ))}
          </ul>
        </>
      )}

      <div className="fin-actions">
        <FhirDownload claimId={claim.id} response={false} />
        {claim.status !== "submitted" && <FhirDownload claimId={claim.id} response />}
      </div>

      {claim.status === "submitted" && (
        <ClaimAdjudication
          claim={claim}
          coverage={coverage}
          onDecided={(decided) => {
            setClaim(decided);
            onDecided();
          }}
        />
      )}
      {claim.status !== "submitted" && (
        <p className="success" role="status">
          {t("finance.claims.decided", { outcome: t(status.label) })}
        </p>
      )}
      <button type="button" className="secondary fin-close" onClick={onClose}>
        {t("finance.close")}
      </button>
    </section>
  );
}
