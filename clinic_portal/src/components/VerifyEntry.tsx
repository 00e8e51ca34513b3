import { useState } from "react";
import type { Verification } from "../lib/auditVerify";

/** "Verify" of one access-log entry: its inclusion proof, checked in this page and on chain. */
export function VerifyEntry({ entryId, label }: { entryId: string; label: string }) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Verification | null>(null);

  async function verify() {
    setBusy(true);
    setResult(null);
    try {
      const { verifyEntry } = await import("../lib/auditVerify");
      setResult(await verifyEntry(entryId));
    } catch {
      setResult({ kind: "failed", message: "The entry could not be verified. Try again." });
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="verify-entry">
      <button
        type="button"
        className="secondary"
        onClick={() => void verify()}
        disabled={busy}
        aria-busy={busy}
        aria-description={`Check that ${label} is anchored on chain`}
      >
        Verify
      </button>
      {busy && (
        <span className="hint" role="status">
          Verifying…
        </span>
      )}
      {result?.kind === "verified" && (
        <p className="verified" role="status" data-testid="verified">
          Verified on chain
        </p>
      )}
      {(result?.kind === "pending" || result?.kind === "own-node") && (
        <p className="hint verify-note" role="status">
          {result.message}
        </p>
      )}
      {result?.kind === "failed" && (
        <p className="alert" role="alert">
          {result.message}
        </p>
      )}
    </div>
  );
}
