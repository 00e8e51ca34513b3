import { useCallback, useId, useState, type FormEvent, type ReactNode } from "react";
import { api, type AuditEntryOut, type Me } from "../api/client";
import { locale, t, useI18n, type MessageKey } from "../i18n";
import { catalog } from "../i18n/catalog";
import {
  asPurpose,
  auditQuery,
  boundTime,
  entryTime,
  NO_FILTERS,
  PURPOSES,
  queryKey,
  type AuditFilters,
  type AuditQuery,
  type FilterField,
  type FilterProblem,
} from "../lib/auditSearch";
import { formatUhid, humanise, problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import { useDirectory } from "../lib/useDirectory";
import { usePaged } from "../lib/usePaged";
import { Badge, ErrorAlert, Fact, PagedList } from "./common";
import { VerifyEntry } from "./VerifyEntry";

/** Words of a code the catalogue knows (`audit.<group>.<code>`), else the code made readable. */
function codeWords(group: "action" | "purpose" | "basis" | "outcome", code: string): string {
  const key = `audit.${group}.${code}`;
  return key in catalog.en ? t(key as MessageKey) : humanise(code);
}

/** What an entry names (`record:<id>`, `category:lab`, `search:all`) in words. */
function targetWords(target: string): string {
  const at = target.indexOf(":");
  const kind = at < 0 ? target : target.slice(0, at);
  const name = at < 0 ? "" : target.slice(at + 1);
  if (kind === "record") return t("audit.target.record", { id: name.slice(0, 8) });
  if (kind === "category" || kind === "search") {
    return name === "" || name === "all"
      ? t("audit.target.all")
      : t("audit.target.category", { category: humanise(name).toLowerCase() });
  }
  return humanise(target);
}

function scopeWords(me: Me): string {
  if (me.roles.includes("platform_auditor")) return t("audit.scopeAll");
  if (me.roles.includes("auditor") && me.organization) return t("audit.scopeOrg", { org: me.organization.name });
  return t("audit.scopeOwn");
}

function problemWords(problem: FilterProblem): string {
  if (problem.problem === "not-a-uhid") return t("audit.notAUhid");
  if (problem.problem === "not-a-time") return t("audit.notATime");
  return t("audit.toNotAfterFrom");
}

/** The results heading: what was searched for, in words. */
function searchedWords(query: AuditQuery): string {
  const parts: string[] = [];
  if (query.patient) parts.push(t("audit.filterPatient", { uhid: formatUhid(query.patient) }));
  if (query.accessor) parts.push(t("audit.filterAccessor", { uhid: formatUhid(query.accessor) }));
  if (query.purpose) {
    parts.push(t("audit.filterPurpose", { purpose: codeWords("purpose", query.purpose).toLocaleLowerCase(locale()) }));
  }
  if (query.outcome) parts.push(t(query.outcome === "granted" ? "audit.filterGranted" : "audit.filterDenied"));
  const from = query.since ? boundTime(query.since, locale()) : "";
  const to = query.until ? boundTime(query.until, locale()) : "";
  if (from && to) parts.push(t("audit.filterBetween", { from, to }));
  else if (from) parts.push(t("audit.filterSince", { from }));
  else if (to) parts.push(t("audit.filterUntil", { to }));
  if (parts.length === 0) return t("audit.resultsHeading");
  return t("audit.resultsMatching", { filters: parts.join(t("audit.filterJoin")) });
}

type ControlProps = { id: string; "aria-invalid": true | undefined; "aria-describedby": string | undefined };

/** A labelled filter with its hint and its own error right under it, tied to the control. */
function FilterBox({
  label,
  hint,
  error,
  children,
}: {
  label: string;
  hint?: string;
  error: string;
  children: (control: ControlProps) => ReactNode;
}) {
  const id = useId();
  const hintId = useId();
  const errorId = useId();
  const describedBy = [hint ? hintId : "", error ? errorId : ""].filter(Boolean).join(" ");
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, "aria-invalid": error ? true : undefined, "aria-describedby": describedBy || undefined })}
      {hint && (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      )}
      {error && (
        <p className="alert" role="alert" id={errorId}>
          {error}
        </p>
      )}
    </div>
  );
}

const NO_PROBLEMS: Partial<Record<FilterField, string>> = {};

export function AuditorHome({ me }: { me: Me }) {
  useI18n(); // a change of language re-renders the screen in the new words
  const [filters, setFilters] = useState<AuditFilters>(NO_FILTERS);
  const [query, setQuery] = useState<AuditQuery>({});
  const [problems, setProblems] = useState(NO_PROBLEMS);
  // datetime-local has no zone of its own: say which one the times are read in.
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  const entries = usePaged<AuditEntryOut>(queryKey(query), (offset, limit) =>
    outcome(api.GET("/api/v1/audit/entries", { params: { query: { ...query, limit, offset } } })),
  );

  const directory = useDirectory();
  const orgName = useCallback(
    (id: string) => (me.organization && me.organization.id === id ? me.organization.name : directory.get(id)),
    [me.organization, directory],
  );

  function set<K extends keyof AuditFilters>(field: K, value: AuditFilters[K]) {
    setFilters((before) => ({ ...before, [field]: value }));
  }

  function search(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const checked = auditQuery(filters);
    if (!checked.ok) {
      const found: Partial<Record<FilterField, string>> = {};
      for (const p of checked.problems) found[p.field] ??= problemWords(p);
      setProblems(found);
      return;
    }
    setProblems(NO_PROBLEMS);
    // The same search again asks again: new accesses may have been logged since.
    if (queryKey(checked.query) === queryKey(query)) entries.reload(0);
    else setQuery(checked.query);
  }

  function clear() {
    setFilters(NO_FILTERS);
    setProblems(NO_PROBLEMS);
    setQuery({});
  }

  return (
    <main className="content" id="main">
      <h1 className="page-title">{t("audit.title")}</h1>
      <p className="muted audit-scope">{scopeWords(me)}</p>
      <div className="audit-layout audit-layout-stacked">
        <section className="card" data-testid="audit-search" aria-labelledby="audit-search-heading">
          <h2 id="audit-search-heading">{t("audit.searchHeading")}</h2>
          <form className="audit-filters" onSubmit={search} noValidate>
            <div className="audit-filter-grid">
              <FilterBox label={t("audit.patientLabel")} hint={t("audit.patientHint")} error={problems.patient ?? ""}>
                {(control) => (
                  <input
                    {...control}
                    type="text"
                    inputMode="numeric"
                    autoComplete="off"
                    spellCheck={false}
                    value={filters.patient}
                    onChange={(e) => set("patient", e.target.value)}
                  />
                )}
              </FilterBox>
              <FilterBox label={t("audit.accessorLabel")} hint={t("audit.accessorHint")} error={problems.accessor ?? ""}>
                {(control) => (
                  <input
                    {...control}
                    type="text"
                    inputMode="numeric"
                    autoComplete="off"
                    spellCheck={false}
                    value={filters.accessor}
                    onChange={(e) => set("accessor", e.target.value)}
                  />
                )}
              </FilterBox>
              <FilterBox label={t("audit.purposeLabel")} error="">
                {(control) => (
                  <select {...control} value={filters.purpose} onChange={(e) => set("purpose", asPurpose(e.target.value))}>
                    <option value="">{t("audit.purposeAny")}</option>
                    {PURPOSES.map((p) => (
                      <option key={p} value={p}>
                        {codeWords("purpose", p)}
                      </option>
                    ))}
                  </select>
                )}
              </FilterBox>
              <FilterBox label={t("audit.outcomeLabel")} error="">
                {(control) => (
                  <select
                    {...control}
                    value={filters.outcome}
                    onChange={(e) =>
                      set("outcome", e.target.value === "granted" || e.target.value === "denied" ? e.target.value : "")
                    }
                  >
                    <option value="">{t("audit.outcomeAny")}</option>
                    <option value="granted">{t("audit.outcome.granted")}</option>
                    <option value="denied">{t("audit.outcome.denied")}</option>
                  </select>
                )}
              </FilterBox>
              <FilterBox label={t("audit.fromLabel")} hint={t("audit.fromHint", { zone })} error={problems.from ?? ""}>
                {(control) => (
                  <input {...control} type="datetime-local" value={filters.from} onChange={(e) => set("from", e.target.value)} />
                )}
              </FilterBox>
              <FilterBox label={t("audit.toLabel")} hint={t("audit.toHint", { zone })} error={problems.to ?? ""}>
                {(control) => (
                  <input {...control} type="datetime-local" value={filters.to} onChange={(e) => set("to", e.target.value)} />
                )}
              </FilterBox>
            </div>
            <div className="audit-actions">
              <button type="submit" className="primary">
                {t("audit.search")}
              </button>
              <button type="button" className="secondary" onClick={clear}>
                {t("audit.clear")}
              </button>
            </div>
          </form>
        </section>

        <section className="card" data-testid="audit-entries" aria-labelledby="audit-entries-heading" aria-busy={entries.status === "loading"}>
          <h2 id="audit-entries-heading">{searchedWords(query)}</h2>
          <PagedList
            page={entries}
            what={t("audit.entriesWhat")}
            empty={t("audit.noEntries")}
            render={(e) => <EntryItem key={e.id} entry={e} orgName={orgName} />}
          />
        </section>
      </div>
    </main>
  );
}

function EntryItem({ entry, orgName }: { entry: AuditEntryOut; orgName: (id: string) => string | undefined }) {
  const when = entryTime(entry.at, locale());
  const org = entry.accessor_org ? orgName(entry.accessor_org) : undefined;
  const accessor = formatUhid(entry.accessor);
  const who = org
    ? t("audit.atOrg", { uhid: accessor, org })
    : entry.accessor_org
      ? t("audit.atSomeOrg", { uhid: accessor })
      : t("audit.uhidOf", { uhid: accessor });
  const label = t("audit.entryLabel", { when });
  return (
    <li className="item audit-entry" data-testid="audit-entry">
      <div className="item-head">
        <span className="item-title">
          {codeWords("action", entry.action)} {targetWords(entry.record)}
        </span>
        <Badge tone={entry.outcome === "granted" ? "granted" : "denied"}>{codeWords("outcome", entry.outcome)}</Badge>
      </div>
      <dl className="facts">
        <Fact term={t("audit.who")}>{who}</Fact>
        <Fact term={t("audit.whom")}>{t("audit.uhidOf", { uhid: formatUhid(entry.patient) })}</Fact>
        <Fact term={t("audit.when")}>
          <time dateTime={entry.at}>{when}</time>
        </Fact>
        <Fact term={t("audit.why")}>{codeWords("purpose", entry.purpose)}</Fact>
        <Fact term={t("audit.basis")}>{codeWords("basis", entry.basis)}</Fact>
        <Fact term={t("audit.batchLabel")}>
          {entry.batch === null ? t("audit.notBatched") : t("audit.inBatch", { batch: entry.batch })}
        </Fact>
      </dl>
      <VerifyEntry entryId={entry.id} label={label} showProof />
      <FhirAuditEvent entryId={entry.id} label={label} />
    </li>
  );
}

/** The entry as a FHIR AuditEvent, fetched when asked and shown as text. */
function FhirAuditEvent({ entryId, label }: { entryId: string; label: string }) {
  const [shown, setShown] = useState(false);
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState("");
  const [loading, setLoading] = useState(false);

  async function toggle() {
    if (shown) {
      setShown(false);
      return;
    }
    setShown(true);
    if (text !== null) return;
    setLoading(true);
    setError("");
    const result = await outcome(
      api.GET("/api/v1/audit/entries/{entry_id}/fhir", { params: { path: { entry_id: entryId } } }),
    );
    setLoading(false);
    if (result.ok) setText(JSON.stringify(result.value, null, 2));
    else setError(problemDetail(result.problem, result.status));
  }

  return (
    <div className="audit-fhir">
      <button type="button" className="audit-link" aria-expanded={shown} onClick={() => void toggle()}>
        {shown ? t("audit.hideFhir") : t("audit.showFhir")}
      </button>
      {shown && loading && (
        <p className="muted" role="status">
          {t("audit.loadingFhir")}
        </p>
      )}
      {shown && <ErrorAlert message={error} />}
      {shown && text !== null && (
        <section className="audit-fhir-text" aria-label={t("audit.fhirLabel", { label })}>
          <pre className="audit-json">{text}</pre>
        </section>
      )}
    </div>
  );
}
