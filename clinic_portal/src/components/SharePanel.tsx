import { useId, useState, type FormEvent } from "react";
import type { ConsentOut, DirectoryEntry } from "../api/client";
import { grantAccess, revokeAccess, type FlowStep } from "../lib/consentFlow";
import {
  dayBoundary,
  defaultUntil,
  organisationKindInWords,
  REVOKED_MESSAGE,
  scopePhrase,
  SHARE_CATEGORIES,
  SHARE_PURPOSES,
  SHARED_MESSAGE,
  shareProblem,
  shareSummary,
  type SharePurpose,
} from "../lib/sharing";
import type { Directory } from "../lib/useDirectory";
import type { PatientKeys } from "../lib/umbral";
import type { UnlockedWallet } from "../lib/wallet";
import { ErrorAlert } from "./common";

const STEP_WORDS: Record<FlowStep, string> = {
  preparing: "Preparing…",
  signing: "Waiting for your wallet to sign…",
  keys: "Making key fragments…",
  sending: "Sending…",
};

/** An organisation as the "Who" select shows it: "Riverside Family Clinic (Clinic)". */
export function granteeOptionText(org: DirectoryEntry): string {
  return `${org.name} (${organisationKindInWords(org.kind)})`;
}

/**
 * "Share my records": choose an organisation, what, why and until when; read the summary of
 * what will be signed; sign with the wallet. Key fragments for the organisation's published key
 * are made in this browser.
 */
export function SharePanel({
  wallet,
  directory,
  currentKeys,
  onShared,
}: {
  wallet: UnlockedWallet | null;
  directory: Directory;
  currentKeys: () => PatientKeys | null;
  onShared: (consent: ConsentOut) => void;
}) {
  const ids = useId();
  const [grantee, setGrantee] = useState("");
  const [scope, setScope] = useState<string>(SHARE_CATEGORIES[0].scope);
  const [purpose, setPurpose] = useState<SharePurpose>("treatment");
  const [until, setUntil] = useState(() => defaultUntil());
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [step, setStep] = useState<FlowStep | null>(null);
  const [error, setError] = useState("");
  const [done, setDone] = useState("");

  const org = directory.entries.find((o) => o.id === grantee) ?? null;
  const problem = shareProblem({ grantee, scope, purpose, until, from, to });
  const summary = org
    ? shareSummary({
        granteeName: org.name,
        granteeHasKey: Boolean(org.umbral_public_key),
        scope,
        purpose,
        until,
        from,
        to,
      })
    : "Choose who to share with to see what you will sign.";

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setError("");
    setDone("");
    if (!wallet) {
      setError("Unlock your wallet first.");
      return;
    }
    const expiresAt = dayBoundary(until, "end");
    if (problem || !org || !expiresAt) {
      setError(problem || "Choose who to share with.");
      return;
    }
    const result = await grantAccess(
      {
        grantee: org,
        scope,
        purpose,
        expiresAt,
        dataFrom: from ? dayBoundary(from, "start") : null,
        dataTo: to ? dayBoundary(to, "end") : null,
      },
      currentKeys,
      setStep,
    );
    setStep(null);
    if (result.ok) {
      setDone(SHARED_MESSAGE);
      onShared(result.consent);
    } else {
      setError(result.message);
    }
  };

  const busy = step !== null;
  const changed =
    <T,>(set: (value: T) => void) =>
    (value: T) => {
      set(value);
      setDone("");
    };

  return (
    <section className="card area-grant" data-testid="grant" aria-labelledby="grant-heading">
      <h2 id="grant-heading">Share my records</h2>
      <form className="share-form" onSubmit={(e) => void submit(e)} aria-busy={busy}>
        <div className="field">
          <label htmlFor={`${ids}-who`}>Who</label>
          <select
            id={`${ids}-who`}
            value={grantee}
            disabled={busy}
            onChange={(e) => changed(setGrantee)(e.currentTarget.value)}
          >
            <option value="">
              {directory.status === "loading" ? "Loading organisations…" : "Choose an organisation"}
            </option>
            {directory.entries.map((o) => (
              <option key={o.id} value={o.id}>
                {granteeOptionText(o)}
              </option>
            ))}
          </select>
        </div>
        <ErrorAlert message={directory.status === "error" ? `The directory did not load. ${directory.error}` : ""} />
        <div className="field">
          <label htmlFor={`${ids}-what`}>What</label>
          <select id={`${ids}-what`} value={scope} disabled={busy} onChange={(e) => changed(setScope)(e.currentTarget.value)}>
            {SHARE_CATEGORIES.map((c) => (
              <option key={c.scope} value={c.scope}>
                {c.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-purpose`}>Purpose</label>
          <select
            id={`${ids}-purpose`}
            value={purpose}
            disabled={busy}
            onChange={(e) => changed(setPurpose)(e.currentTarget.value as SharePurpose)}
          >
            {SHARE_PURPOSES.map((p) => (
              <option key={p.purpose} value={p.purpose}>
                {p.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-until`}>Until</label>
          <input
            id={`${ids}-until`}
            type="date"
            value={until}
            disabled={busy}
            required
            onChange={(e) => changed(setUntil)(e.currentTarget.value)}
          />
        </div>
        <div className="share-period">
          <div className="field">
            <label htmlFor={`${ids}-from`}>Records from (optional)</label>
            <input
              id={`${ids}-from`}
              type="date"
              value={from}
              disabled={busy}
              onChange={(e) => changed(setFrom)(e.currentTarget.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={`${ids}-to`}>Records to (optional)</label>
            <input
              id={`${ids}-to`}
              type="date"
              value={to}
              disabled={busy}
              onChange={(e) => changed(setTo)(e.currentTarget.value)}
            />
          </div>
        </div>
        <p className="share-summary" role="note" data-testid="grant-summary">
          {summary}
        </p>
        {org && problem && <p className="hint">{problem}</p>}
        <button type="submit" className="primary" disabled={!wallet || busy} aria-busy={busy}>
          {step ? STEP_WORDS[step] : "Sign and share"}
        </button>
        {!wallet && <p className="hint">Unlock your wallet first.</p>}
      </form>
      <ErrorAlert message={error} />
      {done && (
        <p className="hint success" role="status">
          {done}
        </p>
      )}
    </section>
  );
}

/** A consent's "Revoke" button, its confirmation in the page, and the signed revocation. */
export function RevokeControl({
  consent,
  wallet,
  onRevoked,
}: {
  consent: ConsentOut;
  wallet: UnlockedWallet | null;
  onRevoked: (consent: ConsentOut) => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [step, setStep] = useState<FlowStep | null>(null);
  const [error, setError] = useState("");
  const [done, setDone] = useState("");
  const busy = step !== null;

  const confirm = async () => {
    setError("");
    if (!wallet) {
      setError("Unlock your wallet first.");
      return;
    }
    const result = await revokeAccess(consent.id, setStep);
    setStep(null);
    if (result.ok) {
      setConfirming(false);
      setDone(REVOKED_MESSAGE);
      onRevoked(result.consent);
    } else {
      setError(result.message);
    }
  };

  const revocable = consent.status === "pending" || consent.status === "active";
  return (
    <div className="revoke">
      {revocable && !confirming && (
        <button
          type="button"
          className="secondary"
          onClick={() => {
            setConfirming(true);
            setError("");
            setDone("");
          }}
        >
          Revoke
        </button>
      )}
      {revocable && confirming && (
        <div className="revoke-confirm">
          <p>
            Stop {consent.grantee.name} reading {scopePhrase(consent.scope)}? Your wallet signs the revocation; access is
            refused from then on.
          </p>
          {!wallet && <p className="hint">Unlock your wallet first.</p>}
          <div className="wallet-actions">
            <button
              type="button"
              className="danger"
              onClick={() => void confirm()}
              disabled={!wallet || busy}
              aria-busy={busy}
            >
              {step ? STEP_WORDS[step] : "Confirm revoke"}
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)} disabled={busy}>
              Cancel
            </button>
          </div>
        </div>
      )}
      <ErrorAlert message={error} />
      {done && (
        <p className="hint success" role="status">
          {done}
        </p>
      )}
    </div>
  );
}
