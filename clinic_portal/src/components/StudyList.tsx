// The patient's imaging studies (GET /api/v1/patients/{uhid}/imaging/studies), each with its
// images and reports; radiologists write a report on each.

import { useState } from "react";
import { t } from "../i18n";
import { modalityInWords } from "../lib/fhir";
import { formatDateTime } from "../lib/format";
import type { StudySummary } from "../lib/imaging";
import { usePatientStudies } from "../lib/imagingStudies";
import { ErrorAlert } from "./common";
import { StudyDetails } from "./StudyDetails";
import { StudyReportForm } from "./StudyReportForm";

export function StudyList({
  uhid,
  viewerOrgId,
  canReport,
  reloadKey,
}: {
  uhid: string;
  viewerOrgId: string | null;
  canReport: boolean;
  /** Changed to read the list again (a study was just uploaded). */
  reloadKey: string;
}) {
  const studies = usePatientStudies(uhid, reloadKey);
  return (
    <section className="card" data-testid="studies" aria-labelledby="studies-heading">
      <h2 id="studies-heading">{t("results.studies.heading")}</h2>
      <p className="muted">{t("results.studies.intro")}</p>
      {studies?.status === "loading" && (
        <p className="muted loading" role="status">
          {t("results.studies.loading")}
        </p>
      )}
      {studies?.status === "error" && <ErrorAlert message={studies.message} />}
      {studies?.status === "ready" &&
        (studies.value.length === 0 ? (
          <p className="empty">{t("results.studies.empty")}</p>
        ) : (
          <ul className="items results-studies">
            {studies.value.map((study) => (
              <StudyItem
                key={study.id}
                uhid={uhid}
                study={study}
                canPreview={viewerOrgId !== null && study.uploader_org_id === viewerOrgId}
                canReport={canReport}
              />
            ))}
          </ul>
        ))}
    </section>
  );
}

function StudyItem({
  uhid,
  study,
  canPreview,
  canReport,
}: {
  uhid: string;
  study: StudySummary;
  canPreview: boolean;
  canReport: boolean;
}) {
  const [version, setVersion] = useState(0);
  const what = study.modalities.length ? study.modalities.map(modalityInWords).join(", ") : t("records.kind.imagingStudy");
  const headingId = `study-${study.id}`;
  return (
    <li className="item results-study" aria-labelledby={headingId}>
      <h3 id={headingId} className="item-title">
        {t("results.studies.title", { what, date: formatDateTime(study.created_at) })}
      </h3>
      <StudyDetails
        summary={study}
        canPreview={canPreview}
        version={version}
        report={(reports) =>
          canReport && (
            <ReportPanel
              uhid={uhid}
              studyId={study.id}
              reported={reports > 0}
              onFiled={() => setVersion((v) => v + 1)}
            />
          )
        }
      />
    </li>
  );
}

/** The report form: open on a study without a report, behind a button on one already reported. */
function ReportPanel({
  uhid,
  studyId,
  reported,
  onFiled,
}: {
  uhid: string;
  studyId: string;
  reported: boolean;
  onFiled: () => void;
}) {
  const [open, setOpen] = useState(!reported);
  if (!open) {
    return (
      <button type="button" className="secondary study-more" onClick={() => setOpen(true)}>
        {t("results.report.another")}
      </button>
    );
  }
  return <StudyReportForm uhid={uhid} studyId={studyId} onFiled={onFiled} />;
}
