import { useState } from "react";
import { t, type MessageKey } from "../i18n";
import { problemDetail } from "../lib/format";
import type { ProofDetails, Verification } from "../lib/auditVerify";

const MISMATCH: Record<"leaf" | "proof" | "root", MessageKey> = {
  leaf: "audit.mismatch.leaf",
  proof: "audit.mismatch.proof",
  root: "audit.mismatch.root",
};

/**
 * "Verify" of one access-log entry: its inclusion proof, checked in this page and on chain.
 * With `showProof`, what was checked is shown too (the leaf recomputed from the entry, the
 * sibling hashes, the roots, the batch and the contract), for auditors to compare themselves.
 */
export function VerifyEntry({ entryId, label, showProof = false }: { entryId: string; label: string; showProof?: boolean }) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Verification | null>(null);

  async function verify() {
    setBusy(true);
    setResult(null);
    try {
      const { verifyEntry } = await import("../lib/auditVerify");
      setResult(await verifyEntry(entryId));
    } catch {
      setResult({ kind: "failed", status: -1, problem: undefined });
    } finally {
      setBusy(false);
    }
  }

  const details = result && "details" in result ? result.details : null;
  return (
    <div className="verify-entry">
      <button
        type="button"
        className="secondary"
        onClick={() => void verify()}
        disabled={busy}
        aria-busy={busy}
        aria-description={t("audit.verifyDescription", { label })}
      >
        {t("audit.verify")}
      </button>
      {busy && (
        <span className="hint" role="status">
          {t("audit.verifying")}
        </span>
      )}
      {result?.kind === "verified" && (
        <p className="verified" role="status" data-testid="verified">
          {t("audit.verified")}
        </p>
      )}
      {result?.kind === "pending" && (
        <p className="hint verify-note" role="status" data-testid="verify-pending">
          {t("audit.pending")}
        </p>
      )}
      {result?.kind === "own-node" && (
        <p className="hint verify-note" role="status">
          {t("audit.ownNode")}
        </p>
      )}
      {result?.kind === "mismatch" && (
        <p className="alert" role="alert" data-testid="tampered">
          {t(MISMATCH[result.what])}
        </p>
      )}
      {result?.kind === "unreachable" && (
        <p className="alert" role="alert">
          {t("audit.unreachable")}
        </p>
      )}
      {result?.kind === "failed" && (
        <p className="alert" role="alert">
          {result.status > 0 ? problemDetail(result.problem, result.status) : t("audit.failed")}
        </p>
      )}
      {showProof && details && <ProofFacts details={details} />}
    </div>
  );
}

/** The hashes and addresses of a verification, in full (copyable), one per line. */
function ProofFacts({ details }: { details: ProofDetails }) {
  const leafDiffers = details.leaf.toLowerCase() !== details.serviceLeaf.toLowerCase();
  const rootDiffers = details.chainRoot !== null && details.chainRoot.toLowerCase() !== details.root.toLowerCase();
  return (
    <div className="audit-proof" data-testid="proof">
      <h3>{t("audit.checked")}</h3>
      <dl>
        <dt>{t("audit.leaf")}</dt>
        <dd className="audit-hash" data-testid="proof-leaf">
          {details.leaf}
        </dd>
        {leafDiffers && (
          <>
            <dt>{t("audit.serviceLeaf")}</dt>
            <dd className="audit-hash audit-differs">{details.serviceLeaf}</dd>
          </>
        )}
        <dt>{t("audit.proof")}</dt>
        <dd data-testid="proof-siblings">
          {details.proof.length === 0 ? (
            <span className="muted">{t("audit.proofEmpty")}</span>
          ) : (
            <ol className="audit-siblings">
              {details.proof.map((sibling, i) => (
                <li key={`${i}:${sibling}`} className="audit-hash">
                  {sibling}
                </li>
              ))}
            </ol>
          )}
        </dd>
        <dt>{t("audit.root")}</dt>
        <dd className="audit-hash" data-testid="proof-root">
          {details.root}
        </dd>
        <dt>{t("audit.chainRoot")}</dt>
        <dd className={rootDiffers ? "audit-hash audit-differs" : "audit-hash"} data-testid="chain-root">
          {details.chainRoot ?? <span className="muted">{t("audit.chainRootUnread")}</span>}
        </dd>
        <dt>{t("audit.batchLabel")}</dt>
        <dd data-testid="proof-batch">{details.batch}</dd>
        <dt>{t("audit.contract")}</dt>
        <dd className="audit-hash" data-testid="proof-contract">
          {details.contract}
        </dd>
        <dt>{t("audit.chainId")}</dt>
        <dd>{details.chainId}</dd>
        {details.rpcUrl && (
          <>
            <dt>{t("audit.rpc")}</dt>
            <dd className="audit-hash">{details.rpcUrl}</dd>
          </>
        )}
      </dl>
    </div>
  );
}
