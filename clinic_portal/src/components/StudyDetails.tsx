// An imaging study as people read it: what kind of imaging, of which body part, when, how many
// images, a few of its images, and its reports' conclusions (once the patient opened them).

import { useState, type ReactNode } from "react";
import { t } from "../i18n";
import { modalityInWords, type RecordView } from "../lib/fhir";
import { formatDate, formatDateTime } from "../lib/format";
import { previewPicks, type StudySummary } from "../lib/imaging";
import { useStudyDetail } from "../lib/imagingStudies";
import type { RecordOpenState } from "../lib/openRecords";
import { ErrorAlert, Fact } from "./common";
import { StudyPreviews } from "./StudyPreviews";

/** Images shown at first, and at most once all are asked for. */
const FIRST_PREVIEWS = 4;
const MOST_PREVIEWS = 48;

function openedView(opened: ReadonlyMap<string, RecordOpenState> | undefined, id: string): RecordView | undefined {
  const state = opened?.get(id);
  return state?.status === "open" ? state.view : undefined;
}

export function StudyDetails({
  summary,
  canPreview,
  opened,
  version = 0,
  report,
}: {
  summary: StudySummary;
  /** Whether this viewer may see its images here (the patient, the institution that made it). */
  canPreview: boolean;
  /** Records decrypted in this tab (the patient's own), by id: the study's own and its reports. */
  opened?: ReadonlyMap<string, RecordOpenState> | undefined;
  /** Bumped to read the study again (a report was just filed). */
  version?: number;
  /** What follows the reports (a radiologist's report form), given how many there are. */
  report?: (reports: number) => ReactNode;
}) {
  const [showAll, setShowAll] = useState(false);
  const detail = useStudyDetail(summary.id, version);
  const own = openedView(opened, summary.record_id);
  const what = summary.modalities.length ? summary.modalities.map(modalityInWords).join(", ") : t("records.kind.imagingStudy");
  const bodyPart = own?.facts.find((f) => f.term === t("records.fact.bodyPart"))?.value;

  const series = detail?.status === "ready" ? detail.value.series : [];
  const positions = new Map<string, number>();
  series.flatMap((s) => s.instances).forEach((sop, i) => positions.set(sop, i + 1));
  const picks = previewPicks(series, showAll ? MOST_PREVIEWS : FIRST_PREVIEWS);

  return (
    <div className="study" data-testid="study">
      {own && <p className="study-title">{own.title}</p>}
      <dl className="facts">
        <Fact term={t("records.fact.modality")}>{what}</Fact>
        {bodyPart && <Fact term={t("records.fact.bodyPart")}>{bodyPart}</Fact>}
        <Fact term={t("records.fact.date")}>
          <time dateTime={summary.created_at}>{formatDate(summary.created_at)}</time>
        </Fact>
        <Fact term={t("records.fact.images")}>{String(summary.instance_count)}</Fact>
      </dl>
      {!canPreview && <p className="muted">{t("records.study.previewsElsewhere")}</p>}
      {detail?.status === "loading" && (
        <p className="muted" role="status">
          {t("records.study.loading")}
        </p>
      )}
      {detail?.status === "error" && <ErrorAlert message={detail.message} />}
      {detail?.status === "ready" && (
        <>
          {canPreview && (
            <StudyPreviews
              studyId={summary.id}
              sops={picks}
              positions={positions}
              total={summary.instance_count}
              what={what}
            />
          )}
          {canPreview && positions.size > FIRST_PREVIEWS && (
            <button type="button" className="secondary study-more" onClick={() => setShowAll((v) => !v)}>
              {showAll
                ? t("records.study.fewerImages")
                : t("records.study.moreImages", { count: Math.min(positions.size, MOST_PREVIEWS) })}
            </button>
          )}
          <StudyReports reports={detail.value.reports} opened={opened} />
          {report?.(detail.value.reports.length)}
        </>
      )}
    </div>
  );
}

function StudyReports({
  reports,
  opened,
}: {
  reports: { record_id: string; created_at: string }[];
  opened?: ReadonlyMap<string, RecordOpenState> | undefined;
}) {
  if (reports.length === 0) return <p className="muted study-report">{t("records.study.noReport")}</p>;
  return (
    <div className="study-reports">
      {reports.map((report) => {
        const view = openedView(opened, report.record_id);
        const when = formatDateTime(report.created_at);
        return (
          <div key={report.record_id} className="study-report" data-testid="study-report">
            {view?.conclusion ? (
              <p>
                <strong>{t("records.study.reportConclusion")}</strong> {view.conclusion}
              </p>
            ) : (
              <p className="muted">{t("records.study.reportFiled", { when })}</p>
            )}
          </div>
        );
      })}
    </div>
  );
}
