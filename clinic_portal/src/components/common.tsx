import type { ReactNode } from "react";
import { t } from "../i18n";
import type { Paged } from "../lib/usePaged";

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted loading" role="status">
      {t("common.loading", { what })}
    </p>
  );
}

export function ErrorAlert({ message }: { message: string }) {
  if (!message) return null;
  return (
    <p role="alert" className="alert">
      {message}
    </p>
  );
}

/** A form's refusal: one lead sentence, and the problems one per line when there are several
 * (each also marked on its field). `id` is what the fields' aria-describedby point to. */
export function TroubleAlert({ trouble, id }: { trouble: { lead: string; lines: readonly string[] } | null; id: string }) {
  if (!trouble) return null;
  return (
    <div role="alert" className="alert" id={id}>
      <p>{trouble.lead}</p>
      {trouble.lines.length > 0 && (
        <ul className="alert-list">
          {trouble.lines.map((line, i) => (
            <li key={i}>{line}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Badge({ tone, children }: { tone: string; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

/** A fact of a list item: a term and its value (inside a <dl className="facts">). */
export function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="fact">
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** The states of a paged list: loading, failure, empty, the items, and "Show more". */
export function PagedList<T>({
  page,
  what,
  empty,
  render,
  listClass = "items",
}: {
  page: Paged<T>;
  what: string;
  empty: string;
  render: (item: T) => ReactNode;
  listClass?: string;
}) {
  if (page.status === "loading") return <Loading what={what} />;
  if (page.status === "error") return <ErrorAlert message={page.error} />;
  if (page.items.length === 0) return <p className="empty">{empty}</p>;
  return (
    <>
      <ul className={listClass}>{page.items.map(render)}</ul>
      <ErrorAlert message={page.error} />
      {page.hasMore && (
        <button
          type="button"
          className="secondary more"
          onClick={page.loadMore}
          disabled={page.loadingMore}
          aria-busy={page.loadingMore}
        >
          {page.loadingMore ? t("common.loadingMore") : t("common.showMore", { what })}
        </button>
      )}
    </>
  );
}
