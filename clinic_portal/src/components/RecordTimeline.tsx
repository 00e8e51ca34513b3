import { useMemo } from "react";
import type { RecordMetadata } from "../api/client";
import { t } from "../i18n";
import type { RecordView } from "../lib/fhir";
import { categoryInWords, formatDate, formatDateTime, formatUhid, newestFirst } from "../lib/format";
import type { StudySummary } from "../lib/imaging";
import { usePatientStudies, type Loaded } from "../lib/imagingStudies";
import type { RecordOpenState } from "../lib/openRecords";
import type { Paged } from "../lib/usePaged";
import { ErrorAlert, Fact, PagedList } from "./common";
import { StudyDetails } from "./StudyDetails";

/** Who wrote a record, in words: "you", or the author's UHID and organisation when known. */
function authorLine(record: RecordMetadata, viewerUhid: string, orgName: (id: string) => string | undefined) {
  const org = record.author_org_id ? orgName(record.author_org_id) : undefined;
  const who =
    record.author_uhid === viewerUhid
      ? t("records.author.you")
      : record.author_uhid === record.patient_uhid
        ? t("records.author.patient")
        : t("records.author.uhid", { uhid: formatUhid(record.author_uhid) });
  return org ? t("records.writtenByAt", { who, org }) : t("records.writtenBy", { who });
}

/** One line naming a record, for other lists (the access log): "Lab result of 3 Mar 2025". */
export function describeRecord(record: RecordMetadata): string {
  return t("records.describe", {
    kind: categoryInWords(record.category, record.resource_type),
    date: formatDate(record.created_at),
  });
}

const IMAGING_STUDY = "ImagingStudy";

export function RecordTimeline({
  page,
  viewerUhid,
  orgName,
  lockedNote,
  opened,
  viewerOrgId,
}: {
  page: Paged<RecordMetadata>;
  viewerUhid: string;
  orgName: (id: string) => string | undefined;
  lockedNote: string;
  /** Records decrypted in this tab (the patient's own), by id. */
  opened?: ReadonlyMap<string, RecordOpenState> | undefined;
  /** The viewer's organisation: its staff see the images of studies it uploaded. */
  viewerOrgId?: string | null;
}) {
  const sorted = { ...page, items: newestFirst(page.items, (r) => r.created_at) };
  // Imaging studies are read from the imaging API (counts, images, reports) beside the records.
  const studyRecords = page.items.filter((r) => r.resource_type === IMAGING_STUDY);
  const studyKey = studyRecords.map((r) => r.id).join(",");
  const studies = usePatientStudies(studyRecords[0]?.patient_uhid ?? null, studyKey);
  const byRecord = useMemo(() => studiesByRecord(studies), [studies]);

  return (
    <PagedList
      page={sorted}
      what={t("records.what")}
      empty={t("records.empty")}
      listClass="items timeline"
      render={(record) => (
        <li key={record.id} className="item timeline-item">
          <div className="item-head">
            <span className="item-title">{categoryInWords(record.category, record.resource_type)}</span>
            <time dateTime={record.created_at}>{formatDateTime(record.created_at)}</time>
          </div>
          <p className="item-meta">
            {authorLine(record, viewerUhid, orgName)}
            {record.version > 1 ? ` · ${t("records.updated", { version: record.version })}` : ""}
          </p>
          {record.resource_type === IMAGING_STUDY ? (
            <StudyRecord
              record={record}
              studies={studies}
              summary={byRecord.get(record.id)}
              canPreview={(summary) =>
                record.patient_uhid === viewerUhid || (Boolean(viewerOrgId) && summary.uploader_org_id === viewerOrgId)
              }
              opened={opened}
              lockedNote={lockedNote}
            />
          ) : (
            <RecordBody state={opened?.get(record.id)} lockedNote={lockedNote} />
          )}
        </li>
      )}
    />
  );
}

function studiesByRecord(studies: Loaded<StudySummary[]> | null): ReadonlyMap<string, StudySummary> {
  if (studies?.status !== "ready") return new Map();
  return new Map(studies.value.map((s) => [s.record_id, s]));
}

function StudyRecord({
  record,
  studies,
  summary,
  canPreview,
  opened,
  lockedNote,
}: {
  record: RecordMetadata;
  studies: Loaded<StudySummary[]> | null;
  summary: StudySummary | undefined;
  canPreview: (summary: StudySummary) => boolean;
  opened?: ReadonlyMap<string, RecordOpenState> | undefined;
  lockedNote: string;
}) {
  const state = opened?.get(record.id);
  if (summary) {
    return (
      <>
        {state?.status === "error" && <p className="record-error">{state.message}</p>}
        <StudyDetails summary={summary} canPreview={canPreview(summary)} opened={opened} />
      </>
    );
  }
  if (studies?.status === "loading") {
    return (
      <p className="muted" role="status">
        {t("records.study.loading")}
      </p>
    );
  }
  return (
    <>
      {studies?.status === "error" && <ErrorAlert message={studies.message} />}
      <RecordBody state={state} lockedNote={lockedNote} />
    </>
  );
}

/** A decrypted record as people read it: its title, facts and text. */
export function OpenedRecord({ view }: { view: RecordView }) {
  return (
    <div className="record-open" data-testid="record-open">
      <p className="record-open-title">{view.title}</p>
      {view.facts.length > 0 && (
        <dl className="facts">
          {view.facts.map((f) => (
            <Fact key={f.term} term={f.term}>
              {f.value}
            </Fact>
          ))}
        </dl>
      )}
      {view.paragraphs.map((p, i) => (
        <p key={i} className="record-open-text">
          {p}
        </p>
      ))}
    </div>
  );
}

function RecordBody({ state, lockedNote }: { state: RecordOpenState | undefined; lockedNote: string }) {
  if (!state) return <p className="muted locked">{lockedNote}</p>;
  switch (state.status) {
    case "opening":
      return (
        <p className="muted locked" role="status">
          {t("records.opening")}
        </p>
      );
    case "open":
      return <OpenedRecord view={state.view} />;
    case "error":
      return <p className="record-error">{state.message}</p>;
  }
}
