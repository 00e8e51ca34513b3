// "Share my records with the clinic" on the booking screen: the categories the clinic of an
// appointment may read for treatment, until a date, each signed in the wallet as any grant
// (lib/consentFlow.ts grantAccess, as the health screen's SharePanel does), with the outcome
// of each grant next to it.

import { useId, useState, type FormEvent } from "react";
import { api, type DirectoryEntry } from "../api/client";
import { t } from "../i18n";
import {
  categoryScope,
  DEFAULT_VISIT_CATEGORIES,
  defaultVisitUntil,
  VISIT_CATEGORIES,
  visitGrantProblem,
  type ShareCategoryName,
} from "../lib/bookingGrant";
import { grantAccess, type FlowStep, type GrantGrantee } from "../lib/consentFlow";
import { consentStatusBadge, problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import { dayBoundary, dayInWords, scopePhrase, shareCategoryLabel } from "../lib/sharing";
import type { UnlockedWallet } from "../lib/wallet";
import { BookingWallet } from "./BookingWallet";
import { Badge } from "./common";

type Step = FlowStep | "chain";

// Grants signed one after another are queued in nonce order by the service (each lands on
// the chain after the one before); once all are signed, the screen follows each until the
// chain has it: a minute at most, then it says the chain is slow (the grant stays queued).
const CHAIN_WAIT_MS = 60_000;
const CHAIN_POLL_MS = 1_000;

/** Wait until a submitted grant has left "pending": its status then, or why not. */
async function untilRecorded(consentId: string): Promise<{ status: string } | { problem: string }> {
  const deadline = Date.now() + CHAIN_WAIT_MS;
  while (Date.now() < deadline) {
    const found = await outcome(api.GET("/api/v1/consents/{consent_id}", { params: { path: { consent_id: consentId } } }));
    if (!found.ok) return { problem: problemDetail(found.problem, found.status) };
    if (found.value.status !== "pending") return { status: found.value.status };
    await new Promise((resolve) => setTimeout(resolve, CHAIN_POLL_MS));
  }
  return { problem: t("scheduling.grant.chainSlow") };
}

type Outcome = { category: ShareCategoryName; ok: true; status: string } | { category: ShareCategoryName; ok: false; message: string };

export function BookingGrant({
  appointmentStart,
  organisation,
  organisationName,
  ownerId,
  wallet,
  onWallet,
  headingLevel = 3,
}: {
  appointmentStart: string;
  /** The clinic's directory entry (its address and published key), null while loading or if it is not listed. */
  organisation: DirectoryEntry | null;
  organisationName: string;
  ownerId: string;
  wallet: UnlockedWallet | null;
  onWallet: (wallet: UnlockedWallet) => void;
  headingLevel?: 2 | 3;
}) {
  const ids = useId();
  const [chosen, setChosen] = useState<ShareCategoryName[]>([...DEFAULT_VISIT_CATEGORIES]);
  const [until, setUntil] = useState(() => defaultVisitUntil(appointmentStart));
  const [step, setStep] = useState<{ category: ShareCategoryName; step: Step } | null>(null);
  const [error, setError] = useState<{ field: "categories" | "until" | "form"; message: string } | null>(null);
  const [outcomes, setOutcomes] = useState<Outcome[]>([]);
  const busy = step !== null;
  const Heading = headingLevel === 2 ? "h2" : "h3";

  const toggle = (name: ShareCategoryName, on: boolean) => {
    setChosen((now) => (on ? VISIT_CATEGORIES.filter((c) => c === name || now.includes(c)) : now.filter((c) => c !== name)));
    setError(null);
  };

  async function share(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setError(null);
    const problem = visitGrantProblem(chosen, until, appointmentStart);
    if (problem) {
      setError({ field: problem === "noCategory" ? "categories" : "until", message: t(`scheduling.grant.problem.${problem}`) });
      return;
    }
    if (!organisation) {
      setError({ field: "form", message: t("scheduling.grant.clinicUnknown", { org: organisationName }) });
      return;
    }
    const expiresAt = dayBoundary(until, "end");
    if (!expiresAt) return;
    const grantee: GrantGrantee = {
      id: organisation.id,
      address: organisation.address,
      umbral_public_key: organisation.umbral_public_key,
    };
    const done: Outcome[] = [];
    const pending: { index: number; id: string; category: ShareCategoryName }[] = [];
    // One grant per category: each is its own signed consent, revocable on its own.
    for (const category of chosen) {
      const result = await grantAccess(
        { grantee, scope: categoryScope(category), purpose: "treatment", expiresAt, dataFrom: null, dataTo: null },
        () => null,
        (s) => setStep({ category, step: s }),
      );
      done.push(result.ok ? { category, ok: true, status: result.consent.status } : { category, ok: false, message: result.message });
      setOutcomes([...done]);
      if (!result.ok) break; // a refusal (or a wallet that declined) stops the rest: she decides again
      if (result.consent.status === "pending") pending.push({ index: done.length - 1, id: result.consent.id, category });
    }
    for (const { index, id, category } of pending) {
      setStep({ category, step: "chain" });
      const recorded = await untilRecorded(id);
      done[index] = "problem" in recorded ? { category, ok: false, message: recorded.problem } : { category, ok: true, status: recorded.status };
      setOutcomes([...done]);
    }
    setStep(null);
  }

  const summary = t("scheduling.grant.summary", {
    org: organisationName,
    what: chosen.map((c) => scopePhrase(categoryScope(c))).join(", ") || t("scheduling.grant.nothingChosen"),
    until: dayInWords(until) ?? t("share.summary.untilUnknown"),
    count: chosen.length,
  });
  const errorFor = (field: "categories" | "until" | "form") =>
    error?.field === field ? (
      <p className="alert" role="alert" id={`${ids}-${field}-error`}>
        {error.message}
      </p>
    ) : null;

  return (
    <div className="booking-grant" data-testid="booking-grant">
      <Heading id={`${ids}-heading`}>{t("scheduling.shareHeading", { org: organisationName })}</Heading>
      <p>{t("scheduling.grant.explain", { org: organisationName })}</p>
      {!wallet && <BookingWallet ownerId={ownerId} onUnlocked={onWallet} />}
      <form className="booking-grant-form" onSubmit={(e) => void share(e)} noValidate aria-labelledby={`${ids}-heading`}>
        <fieldset
          className="booking-categories"
          disabled={busy}
          {...(error?.field === "categories" ? { "aria-describedby": `${ids}-categories-error` } : {})}
        >
          <legend>{t("scheduling.grant.categories")}</legend>
          {VISIT_CATEGORIES.map((name) => (
            <label key={name} className="booking-check">
              <input type="checkbox" checked={chosen.includes(name)} onChange={(e) => toggle(name, e.currentTarget.checked)} />
              {shareCategoryLabel(name)}
            </label>
          ))}
          {errorFor("categories")}
        </fieldset>
        <div className="field">
          <label htmlFor={`${ids}-until`}>{t("scheduling.grant.until")}</label>
          <input
            id={`${ids}-until`}
            type="date"
            value={until}
            disabled={busy}
            aria-invalid={error?.field === "until" ? true : undefined}
            aria-describedby={error?.field === "until" ? `${ids}-until-error` : `${ids}-until-hint`}
            onChange={(e) => {
              setUntil(e.currentTarget.value);
              setError(null);
            }}
          />
          <p className="hint" id={`${ids}-until-hint`}>
            {t("scheduling.grant.untilHint")}
          </p>
          {errorFor("until")}
        </div>
        <p className="booking-grant-summary" data-testid="booking-grant-summary">
          {summary}
        </p>
        {errorFor("form")}
        <button type="submit" className="primary" disabled={!wallet || busy} aria-busy={busy}>
          {step
            ? t("scheduling.grant.stepOf", { what: shareCategoryLabel(step.category), step: step.step === "chain" ? t("scheduling.grant.waitingChain") : t(`share.step.${step.step}`) })
            : t("scheduling.grant.submit", { org: organisationName })}
        </button>
        {!wallet && <p className="hint">{t("share.unlockFirst")}</p>}
      </form>
      {outcomes.length > 0 && (
        <ul className="booking-outcomes" aria-label={t("scheduling.grant.outcomes")} aria-live="polite">
          {outcomes.map((o) => (
            <li key={o.category}>
              <span>{shareCategoryLabel(o.category)}</span>{" "}
              {o.ok ? (
                <Badge tone={consentStatusBadge(o.status).tone}>
                  {o.status === "pending" ? t("share.pending") : consentStatusBadge(o.status).label}
                </Badge>
              ) : (
                <span className="alert" role="alert">
                  {o.message}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      {!busy && outcomes.length > 0 && outcomes.every((o) => o.ok) && (
        <p className="success" role="status">
          {t("scheduling.grant.done", { org: organisationName, count: outcomes.length })}
        </p>
      )}
    </div>
  );
}
