// A radiologist's report on a study: findings (optional) and the conclusion, filed as a FHIR R4
// DiagnosticReport (src/lib/fhirResults.ts) at POST /api/v1/imaging/studies/{study_id}/reports.

import { useId, useRef, useState, type FormEvent } from "react";
import { api } from "../api/client";
import { t } from "../i18n";
import { buildImagingReport, EMPTY_REPORT, type ReportField, type ReportInput } from "../lib/fhirResults";
import { problemDetail, problemFieldErrors } from "../lib/format";
import { outcome } from "../lib/outcome";
import { TroubleAlert } from "./common";

type Trouble = { lead: string; lines: string[]; fields: ReportField[] };

export function StudyReportForm({ uhid, studyId, onFiled }: { uhid: string; studyId: string; onFiled: () => void }) {
  const id = useId();
  const [input, setInput] = useState<ReportInput>(EMPTY_REPORT);
  const [sending, setSending] = useState(false);
  // Words made at render time, so a change of language rewords them.
  const [status, setStatus] = useState<(() => string) | null>(null);
  const [trouble, setTrouble] = useState<Trouble | null>(null);
  const sendingRef = useRef(false);
  const alertId = `${id}-alert`;

  const control = (field: ReportField, hint?: boolean) => {
    const invalid = trouble?.fields.includes(field) ?? false;
    const describedBy = [hint ? `${id}-${field}-hint` : "", invalid ? alertId : ""].filter(Boolean).join(" ");
    return {
      id: `${id}-${field}`,
      name: field,
      "aria-invalid": invalid || undefined,
      ...(describedBy ? { "aria-describedby": describedBy } : {}),
    };
  };

  async function file(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (sendingRef.current) return;
    const built = buildImagingReport(uhid, input, new Date());
    if (!built.ok) {
      const lines = built.errors.map((e) => e.message);
      setTrouble({
        lead: lines.length === 1 ? (lines[0] ?? "") : t("results.checkDetails"),
        lines: lines.length === 1 ? [] : lines,
        fields: built.errors.map((e) => e.field),
      });
      setStatus(null);
      const first = built.errors[0];
      if (first) document.getElementById(`${id}-${first.field}`)?.focus();
      return;
    }
    sendingRef.current = true;
    setSending(true);
    setTrouble(null);
    setStatus(() => () => t("results.saving"));
    const result = await outcome(
      api.POST("/api/v1/imaging/studies/{study_id}/reports", {
        params: { path: { study_id: studyId } },
        body: built.resource,
        headers: { "Content-Type": "application/fhir+json" },
      }),
    );
    sendingRef.current = false;
    setSending(false);
    if (!result.ok) {
      setTrouble({ lead: problemDetail(result.problem, result.status), lines: problemFieldErrors(result.problem), fields: [] });
      setStatus(null);
      return;
    }
    setInput(EMPTY_REPORT);
    setStatus(() => () => t("results.report.saved"));
    onFiled();
  }

  return (
    <form className="write-form study-report-form" onSubmit={(e) => void file(e)} noValidate>
      <fieldset className="write-fields">
        <legend>{t("results.report.legend")}</legend>
        <div className="field">
          <label htmlFor={`${id}-findings`}>{t("results.report.findings")}</label>
          <textarea
            {...control("findings")}
            rows={4}
            value={input.findings}
            onChange={(e) => setInput({ ...input, findings: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-conclusion`}>{t("results.report.conclusion")}</label>
          <textarea
            {...control("conclusion", true)}
            rows={2}
            required
            value={input.conclusion}
            onChange={(e) => setInput({ ...input, conclusion: e.target.value })}
          />
          <p className="hint" id={`${id}-conclusion-hint`}>
            {t("results.report.conclusionHint")}
          </p>
        </div>
      </fieldset>
      <button type="submit" className="primary" disabled={sending} aria-busy={sending}>
        {t("results.report.save")}
      </button>
      <TroubleAlert trouble={trouble} id={alertId} />
      <p role="status" className="write-status">
        {status?.()}
      </p>
    </form>
  );
}
