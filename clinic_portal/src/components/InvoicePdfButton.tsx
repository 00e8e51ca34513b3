// "Download PDF": the issued invoice's PDF fetched with the session's token (a plain link
// would carry none), handed to the browser as a download from a Blob URL, which is then
// revoked so the document does not stay in the tab's memory.

import { useState } from "react";
import { api } from "../api/client";
import { t } from "../i18n";
import type { InvoiceOut } from "../lib/billing";
import { problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";

// Long enough for the browser to have started saving the file.
const REVOKE_AFTER_MS = 60_000;

export function InvoicePdfButton({ invoice }: { invoice: Pick<InvoiceOut, "id" | "number"> }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const number = invoice.number ?? "";

  async function download() {
    setBusy(true);
    setError("");
    const result = await outcome(
      api.GET("/api/v1/invoices/{invoice_id}/pdf", { params: { path: { invoice_id: invoice.id } }, parseAs: "blob" }),
    );
    setBusy(false);
    if (!result.ok) {
      setError(problemDetail(result.problem, result.status));
      return;
    }
    const url = URL.createObjectURL(result.value);
    const link = document.createElement("a");
    link.href = url;
    link.download = `${number || "invoice"}.pdf`;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
  }

  return (
    <div className="bill-action">
      <button type="button" className="secondary" onClick={() => void download()} disabled={busy} aria-busy={busy}>
        {busy ? t("billing.pdf.downloading") : t("billing.pdf.download")}
      </button>
      {error && (
        <p className="alert" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
