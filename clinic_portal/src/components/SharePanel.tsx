import { useId, useState, type FormEvent } from "react";
import type { ConsentOut, DirectoryEntry, RecordMetadata } from "../api/client";
import { t } from "../i18n";
import { grantAccess, revokeAccess, type FlowStep, type GrantGrantee } from "../lib/consentFlow";
import { categoryInWords, formatDateTime, normaliseUhid } from "../lib/format";
import {
  dayBoundary,
  defaultUntil,
  organisationKindInWords,
  recordScope,
  scopePhrase,
  SHARE_CATEGORIES,
  SHARE_PURPOSES,
  shareCategoryLabel,
  sharePurposeLabel,
  shareProblem,
  shareSummary,
  type SharePurpose,
} from "../lib/sharing";
import type { Directory } from "../lib/useDirectory";
import type { PatientKeys } from "../lib/umbral";
import type { UnlockedWallet } from "../lib/wallet";
import { ErrorAlert } from "./common";

/** The step of signing in words, on the button while it runs. */
function stepInWords(step: FlowStep): string {
  return t(`share.step.${step}`);
}

/** An organisation as the "Organisation" select shows it: "Riverside Family Clinic (Clinic)". */
export function granteeOptionText(org: DirectoryEntry): string {
  return t("share.orgOption", { name: org.name, kind: organisationKindInWords(org.kind) });
}

/** A record as the "Which record" choice and the summary name it: "Lab result of 3 Mar 2025, 14:05". */
function recordName(record: RecordMetadata): string {
  return t("share.recordName", {
    kind: categoryInWords(record.category, record.resource_type),
    when: formatDateTime(record.created_at),
  });
}

type GranteeKind = "organization" | "person";
// The "What" select's value for a single record (then "Which record" picks it).
const ONE_RECORD = "record:";

/**
 * "Share my records": with an organisation or a person, a category or one record, why, until
 * when and which records by date; read the summary of exactly what will be signed; sign with
 * the wallet. Key fragments for an organisation's published key are made in this browser.
 */
export function SharePanel({
  wallet,
  directory,
  currentKeys,
  records,
  onShared,
}: {
  wallet: UnlockedWallet | null;
  directory: Directory;
  currentKeys: () => PatientKeys | null;
  /** The patient's records shown on the page, to share one of them. */
  records: readonly RecordMetadata[];
  onShared: (consent: ConsentOut) => void;
}) {
  const ids = useId();
  const [granteeKind, setGranteeKind] = useState<GranteeKind>("organization");
  const [orgId, setOrgId] = useState("");
  const [personUhid, setPersonUhid] = useState("");
  const [what, setWhat] = useState<string>(SHARE_CATEGORIES[0].scope);
  const [recordId, setRecordId] = useState("");
  const [purpose, setPurpose] = useState<SharePurpose>("treatment");
  const [until, setUntil] = useState(() => defaultUntil());
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [step, setStep] = useState<FlowStep | null>(null);
  const [error, setError] = useState("");
  const [done, setDone] = useState("");

  const org = granteeKind === "organization" ? (directory.entries.find((o) => o.id === orgId) ?? null) : null;
  const uhid = granteeKind === "person" ? normaliseUhid(personUhid) : null;
  const grantee: GrantGrantee | null = org
    ? { id: org.id, address: org.address, umbral_public_key: org.umbral_public_key }
    : uhid
      ? { id: uhid, address: null, umbral_public_key: null }
      : null;
  const record = what === ONE_RECORD ? (records.find((r) => r.id === recordId) ?? null) : null;
  const scope = what === ONE_RECORD ? (record ? recordScope(record) : ONE_RECORD) : what;

  const problem =
    granteeKind === "person" && personUhid.trim() && !uhid
      ? t("share.problem.personUhid")
      : shareProblem({ grantee: grantee?.id ?? "", scope, purpose, until, from, to });
  const summary = grantee
    ? shareSummary({
        granteeName: org ? org.name : (uhid ?? ""),
        granteeKind,
        granteeHasKey: Boolean(grantee.umbral_public_key),
        scope,
        recordName: record ? recordName(record) : undefined,
        purpose,
        until,
        from,
        to,
      })
    : t("share.chooseWhoFirst");

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setError("");
    setDone("");
    if (!wallet) {
      setError(t("share.unlockFirst"));
      return;
    }
    const expiresAt = dayBoundary(until, "end");
    if (problem || !grantee || !expiresAt) {
      setError(problem || t("share.problem.chooseWho"));
      return;
    }
    const result = await grantAccess(
      {
        grantee,
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
      setDone(t("share.shared"));
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
  const uhidHint = `${ids}-uhid-hint`;

  return (
    <section className="card area-grant" data-testid="grant" aria-labelledby="grant-heading">
      <h2 id="grant-heading">{t("share.heading")}</h2>
      <form className="share-form" onSubmit={(e) => void submit(e)} aria-busy={busy} noValidate>
        <fieldset className="share-choice">
          <legend>{t("share.with")}</legend>
          {(["organization", "person"] as const).map((kind) => (
            <label key={kind} className="share-radio">
              <input
                type="radio"
                name={`${ids}-grantee-kind`}
                value={kind}
                checked={granteeKind === kind}
                disabled={busy}
                onChange={() => changed(setGranteeKind)(kind)}
              />
              {kind === "organization" ? t("share.withOrganisation") : t("share.withPerson")}
            </label>
          ))}
        </fieldset>
        {granteeKind === "organization" ? (
          <div className="field">
            <label htmlFor={`${ids}-who`}>{t("share.organisation")}</label>
            <select
              id={`${ids}-who`}
              value={orgId}
              disabled={busy}
              onChange={(e) => changed(setOrgId)(e.currentTarget.value)}
            >
              <option value="">
                {directory.status === "loading" ? t("share.loadingOrganisations") : t("share.chooseOrganisation")}
              </option>
              {directory.entries.map((o) => (
                <option key={o.id} value={o.id}>
                  {granteeOptionText(o)}
                </option>
              ))}
            </select>
          </div>
        ) : (
          <div className="field">
            <label htmlFor={`${ids}-person`}>{t("share.personUhid")}</label>
            <input
              id={`${ids}-person`}
              type="text"
              inputMode="numeric"
              autoComplete="off"
              spellCheck={false}
              placeholder="12-3456-7890-1234"
              aria-describedby={uhidHint}
              value={personUhid}
              disabled={busy}
              onChange={(e) => changed(setPersonUhid)(e.currentTarget.value)}
            />
            <p className="hint" id={uhidHint}>
              {t("share.personUhidHint")}
            </p>
          </div>
        )}
        <ErrorAlert
          message={
            granteeKind === "organization" && directory.status === "error"
              ? t("share.directoryFailed", { detail: directory.error })
              : ""
          }
        />
        <div className="field">
          <label htmlFor={`${ids}-what`}>{t("share.what")}</label>
          <select id={`${ids}-what`} value={what} disabled={busy} onChange={(e) => changed(setWhat)(e.currentTarget.value)}>
            {SHARE_CATEGORIES.map((c) => (
              <option key={c.scope} value={c.scope}>
                {shareCategoryLabel(c.name)}
              </option>
            ))}
            <option value={ONE_RECORD}>{t("share.oneRecordOption")}</option>
          </select>
        </div>
        {what === ONE_RECORD && (
          <div className="field">
            <label htmlFor={`${ids}-record`}>{t("share.whichRecord")}</label>
            <select
              id={`${ids}-record`}
              value={recordId}
              disabled={busy || records.length === 0}
              onChange={(e) => changed(setRecordId)(e.currentTarget.value)}
            >
              <option value="">{records.length ? t("share.chooseRecord") : t("share.noRecords")}</option>
              {records.map((r) => (
                <option key={r.id} value={r.id}>
                  {recordName(r)}
                </option>
              ))}
            </select>
          </div>
        )}
        <div className="field">
          <label htmlFor={`${ids}-purpose`}>{t("share.purpose")}</label>
          <select
            id={`${ids}-purpose`}
            value={purpose}
            disabled={busy}
            onChange={(e) => changed(setPurpose)(e.currentTarget.value as SharePurpose)}
          >
            {SHARE_PURPOSES.map((p) => (
              <option key={p.purpose} value={p.purpose}>
                {sharePurposeLabel(p.purpose)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-until`}>{t("share.until")}</label>
          <input
            id={`${ids}-until`}
            type="date"
            value={until}
            disabled={busy}
            required
            onChange={(e) => changed(setUntil)(e.currentTarget.value)}
          />
        </div>
        <fieldset className="share-period">
          <legend>{t("share.period")}</legend>
          <div className="field">
            <label htmlFor={`${ids}-from`}>{t("share.from")}</label>
            <input
              id={`${ids}-from`}
              type="date"
              value={from}
              disabled={busy}
              onChange={(e) => changed(setFrom)(e.currentTarget.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={`${ids}-to`}>{t("share.to")}</label>
            <input
              id={`${ids}-to`}
              type="date"
              value={to}
              disabled={busy}
              onChange={(e) => changed(setTo)(e.currentTarget.value)}
            />
          </div>
        </fieldset>
        <div className="share-summary" role="note" aria-labelledby={`${ids}-summary-label`}>
          <p className="share-summary-label" id={`${ids}-summary-label`}>
            {t("share.summaryLabel")}
          </p>
          <p data-testid="grant-summary">{summary}</p>
        </div>
        {grantee && problem && <p className="hint">{problem}</p>}
        <button type="submit" className="primary" disabled={!wallet || busy} aria-busy={busy}>
          {step ? stepInWords(step) : t("share.submit")}
        </button>
        {!wallet && <p className="hint">{t("share.unlockFirst")}</p>}
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
      setError(t("share.unlockFirst"));
      return;
    }
    const result = await revokeAccess(consent.id, setStep);
    setStep(null);
    if (result.ok) {
      setConfirming(false);
      setDone(t("share.revoked"));
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
          aria-label={t("share.revokeNamed", { name: consent.grantee.name })}
          onClick={() => {
            setConfirming(true);
            setError("");
            setDone("");
          }}
        >
          {t("share.revoke")}
        </button>
      )}
      {revocable && confirming && (
        <div className="revoke-confirm">
          <p>{t("share.revokeQuestion", { name: consent.grantee.name, what: scopePhrase(consent.scope) })}</p>
          {!wallet && <p className="hint">{t("share.unlockFirst")}</p>}
          <div className="wallet-actions">
            <button
              type="button"
              className="danger"
              onClick={() => void confirm()}
              disabled={!wallet || busy}
              aria-busy={busy}
            >
              {step ? stepInWords(step) : t("share.confirmRevoke")}
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)} disabled={busy}>
              {t("share.cancel")}
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
