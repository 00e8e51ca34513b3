// The insurer's claim queue: the claims addressed to it, by status (submitted ones first, the
// ones to decide); a claim opens to its items, the coverage and the adjudication.

import { useRef, useState } from "react";
import type { Me } from "../api/client";
import { api } from "../api/client";
import type { components } from "../api/schema";
import { t, type MessageKey } from "../i18n";
import { formatDateTime, formatUhid } from "../lib/format";
import { outcome } from "../lib/outcome";
import { claimParties, formatMoney, type ClaimParties } from "../lib/reports";
import { usePaged } from "../lib/usePaged";
import { ClaimDetail } from "./ClaimDetail";
import { Badge, Fact, PagedList } from "./common";

export type Claim = components["schemas"]["ClaimOut"];
type Status = components["schemas"]["ClaimStatus"];

export const CLAIM_STATUS: Record<Status, { label: MessageKey; tone: string }> = {
  submitted: { label: "finance.claimStatus.submitted", tone: "pending" },
  approved: { label: "finance.claimStatus.approved", tone: "active" },
  partial: { label: "finance.claimStatus.partial", tone: "granted" },
  denied: { label: "finance.claimStatus.denied", tone: "denied" },
};
const FILTERS: readonly (Status | "all")[] = ["submitted", "approved", "partial", "denied", "all"];

/** The FHIR Claim of a claim: its JSON text (to download as is) and what it names. */
export type ClaimFhir = { text: string; parties: ClaimParties };

export async function fetchClaimFhir(claimId: string, response = false): Promise<ClaimFhir | null> {
  const call = response
    ? api.GET("/api/v1/claims/{claim_id}/response/fhir", { params: { path: { claim_id: claimId } }, parseAs: "text" })
    : api.GET("/api/v1/claims/{claim_id}/fhir", { params: { path: { claim_id: claimId } }, parseAs: "text" });
  const result = await outcome<string>(call);
  if (!result.ok) return null;
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(result.value);
  } catch {
    parsed = null;
  }
  return { text: result.value, parties: claimParties(parsed) };
}

function ClaimRow({ claim, onOpen, open }: { claim: Claim; onOpen: (claim: Claim, parties: ClaimParties | null) => void; open: boolean }) {
  // The claim names its patient and provider itself; its coverage is the claim's own.
  const parties: ClaimParties = { patient: claim.patient, provider: claim.provider_name, coverage: claim.coverage };
  const status = CLAIM_STATUS[claim.status];
  const patient = formatUhid(claim.patient);
  return (
    <li className="item">
      <div className="item-head">
        <h3 className="fin-item-title">{t("finance.claims.rowTitle", { patient })}</h3>
        <Badge tone={status.tone}>{t(status.label)}</Badge>
      </div>
      <dl className="facts fin-facts">
        <Fact term={t("finance.claims.provider")}>{claim.provider_name}</Fact>
        <Fact term={t("finance.claims.submitted")}>{formatDateTime(claim.submitted_at)}</Fact>
        <Fact term={t("finance.claims.total")}>{formatMoney(claim.total)}</Fact>
      </dl>
      <div className="fin-actions">
        <button type="button" className="secondary" onClick={() => onOpen(claim, parties)} aria-expanded={open}>
          {t("finance.claims.open", { patient })}
        </button>
      </div>
    </li>
  );
}

export function ClaimQueue({ me }: { me: Me }) {
  const [filter, setFilter] = useState<Status | "all">("submitted");
  const [chosen, setChosen] = useState<{ claim: Claim; parties: ClaimParties | null } | null>(null);
  const detailRef = useRef<HTMLDivElement>(null);
  const claims = usePaged<Claim>(`claims:${me.organization?.id ?? ""}:${filter}`, (offset, limit) =>
    outcome(api.GET("/api/v1/claims", { params: { query: { offset, limit, status: filter === "all" ? null : filter } } })),
  );

  function open(claim: Claim, parties: ClaimParties | null) {
    setChosen({ claim, parties });
    // After the detail has rendered: its heading takes the focus (and the phone scrolls to it).
    requestAnimationFrame(() => detailRef.current?.querySelector<HTMLElement>("h2")?.focus());
  }

  return (
    <main className="content fin-page" id="main">
      <h1 id="page-title" className="page-title">
        {t("finance.nav.claims")}
      </h1>
      <div className="fin-layout">
        <section className="card" aria-labelledby="fin-queue-title">
          <h2 id="fin-queue-title">{t("finance.claims.queue")}</h2>
          <div className="fin-toolbar">
            <div className="field">
              <label htmlFor="fin-claim-filter">{t("finance.claims.filter")}</label>
              <select id="fin-claim-filter" value={filter} onChange={(e) => setFilter(e.target.value as Status | "all")}>
                {FILTERS.map((f) => (
                  <option key={f} value={f}>
                    {f === "all" ? t("finance.claims.all") : t(CLAIM_STATUS[f].label)}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <PagedList
            page={claims}
            what={t("finance.claims.what")}
            empty={filter === "submitted" ? t("finance.claims.emptyQueue") : t("finance.claims.empty")}
            render={(claim) => (
              <ClaimRow key={claim.id} claim={claim} onOpen={open} open={chosen?.claim.id === claim.id} />
            )}
          />
        </section>
        <div className="fin-side" ref={detailRef}>
          {chosen ? (
            <ClaimDetail
              key={chosen.claim.id}
              claim={chosen.claim}
              parties={chosen.parties}
              onDecided={() => claims.reload(0)}
              onClose={() => setChosen(null)}
            />
          ) : (
            <p className="muted fin-hint-card">{t("finance.claims.pick")}</p>
          )}
        </div>
      </div>
    </main>
  );
}
