import type { RecordMetadata } from "../api/client";
import type { RecordView } from "../lib/fhir";
import type { RecordOpenState } from "../lib/openRecords";
import { categoryInWords, formatDate, formatDateTime, formatUhid, newestFirst } from "../lib/format";
import type { Paged } from "../lib/usePaged";
import { Fact, PagedList } from "./common";

/** Who wrote a record, in words: "you", or the author's UHID and organisation when known. */
function authorLine(record: RecordMetadata, viewerUhid: string, orgName: (id: string) => string | undefined) {
  const org = record.author_org_id ? orgName(record.author_org_id) : undefined;
  const who =
    record.author_uhid === viewerUhid
      ? "you"
      : record.author_uhid === record.patient_uhid
        ? "the patient"
        : `UHID ${formatUhid(record.author_uhid)}`;
  return org ? `Written by ${who} at ${org}` : `Written by ${who}`;
}

/** One line naming a record, for other lists (the access log): "Lab result of 3 Mar 2025". */
export function describeRecord(record: RecordMetadata): string {
  return `${categoryInWords(record.category, record.resource_type)} of ${formatDate(record.created_at)}`;
}

export function RecordTimeline({
  page,
  viewerUhid,
  orgName,
  lockedNote,
  opened,
}: {
  page: Paged<RecordMetadata>;
  viewerUhid: string;
  orgName: (id: string) => string | undefined;
  lockedNote: string;
  /** Records decrypted in this tab (the patient's own), by id. */
  opened?: ReadonlyMap<string, RecordOpenState>;
}) {
  const sorted = { ...page, items: newestFirst(page.items, (r) => r.created_at) };
  return (
    <PagedList
      page={sorted}
      what="records"
      empty="No records yet."
      listClass="items timeline"
      render={(record) => (
        <li key={record.id} className="item timeline-item">
          <div className="item-head">
            <span className="item-title">{categoryInWords(record.category, record.resource_type)}</span>
            <time dateTime={record.created_at}>{formatDateTime(record.created_at)}</time>
          </div>
          <p className="item-meta">
            {authorLine(record, viewerUhid, orgName)}
            {record.version > 1 ? ` · updated (version ${record.version})` : ""}
          </p>
          <RecordBody state={opened?.get(record.id)} lockedNote={lockedNote} />
        </li>
      )}
    />
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
          Opening…
        </p>
      );
    case "open":
      return <OpenedRecord view={state.view} />;
    case "error":
      return <p className="record-error">{state.message}</p>;
  }
}
