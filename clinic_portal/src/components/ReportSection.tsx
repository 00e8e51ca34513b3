// One report of the reports screen: its heading, loading and failure states, its chart and
// table, and "Download CSV" (the same report with `format=csv`, saved through a Blob URL).

import { useEffect, useState, type ReactNode } from "react";
import { t } from "../i18n";
import { problemDetail } from "../lib/format";
import { outcome, type Outcome } from "../lib/outcome";
import { ErrorAlert, Loading } from "./common";
import { attachmentName, saveBlob } from "./ReportParts";

type Fetched<T> = { key: string; result: Outcome<T> };

/** A report fetched whenever `key` changes (the period); null while it loads. */
export function useReport<T>(key: string, fetchReport: () => Promise<Outcome<T>>): Outcome<T> | null {
  const [fetched, setFetched] = useState<Fetched<T> | null>(null);
  useEffect(() => {
    let live = true;
    void fetchReport().then((result) => {
      if (live) setFetched({ key, result });
    });
    return () => {
      live = false;
    };
    // The key names everything the request depends on.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return fetched && fetched.key === key ? fetched.result : null;
}

/** The CSV of a report: the call answers a Blob and the response (for its file name). */
export type CsvCall = () => Promise<{ data?: Blob; error?: unknown; response: Response }>;

function CsvDownload({ call, fallbackName, title }: { call: CsvCall; fallbackName: string; title: string }) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  async function download() {
    setBusy(true);
    setError("");
    let name = fallbackName;
    const result = await outcome(
      call().then((r) => {
        name = attachmentName(r.response.headers.get("Content-Disposition"), fallbackName);
        return r;
      }),
    );
    setBusy(false);
    if (result.ok) saveBlob(result.value, name);
    else setError(problemDetail(result.problem, result.status));
  }
  return (
    <div className="fin-csv">
      <button type="button" className="secondary" onClick={() => void download()} disabled={busy} aria-busy={busy}>
        {t("finance.reports.csv")}
        <span className="fin-visually-hidden"> {t("finance.reports.csvOf", { title })}</span>
      </button>
      <ErrorAlert message={error} />
    </div>
  );
}

export function ReportSection<T>({
  id,
  title,
  report,
  csv,
  csvName,
  children,
}: {
  id: string;
  title: string;
  report: Outcome<T> | null;
  csv: CsvCall;
  csvName: string;
  children: (value: T) => ReactNode;
}) {
  return (
    <section className="card fin-report" aria-labelledby={`${id}-title`}>
      <div className="fin-report-head">
        <h2 id={`${id}-title`}>{title}</h2>
        <CsvDownload call={csv} fallbackName={csvName} title={title} />
      </div>
      {report === null ? (
        <Loading what={title} />
      ) : report.ok ? (
        children(report.value)
      ) : (
        <ErrorAlert message={problemDetail(report.problem, report.status)} />
      )}
    </section>
  );
}
