import { useCallback, useId, useState } from "react";
import { api, type Me } from "../api/client";
import type { components } from "../api/schema";
import { t, useI18n } from "../i18n";
import { formatDateTime, notificationKindInWords, problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import { usePaged } from "../lib/usePaged";
import { Badge, ErrorAlert, PagedList } from "./common";

type Notification = components["schemas"]["NotificationOut"];

/**
 * The inbox (`#/inbox`, everyone signed in): the person's notifications, newest first
 * (GET /api/v1/me/notifications), each marked read on request. The service writes each
 * message without clinical content (an event and a time), as the emails it sends.
 */
export function NotificationInbox({ me }: { me: Me }) {
  useI18n();
  const ids = useId();
  const [unreadOnly, setUnreadOnly] = useState(false);
  const fetchPage = useCallback(
    (offset: number, limit: number) =>
      outcome(api.GET("/api/v1/me/notifications", { params: { query: { offset, limit, unread: unreadOnly } } })),
    [unreadOnly],
  );
  const page = usePaged<Notification>(`${me.id}:${unreadOnly ? "unread" : "all"}`, fetchPage);
  const [read, setRead] = useState<Record<string, string>>({});

  return (
    <main className="content" id="main">
      <h1 className="page-title">{t("inbox.title")}</h1>
      <section className="card" aria-label={t("inbox.title")}>
        <p className="muted">{t("inbox.intro")}</p>
        <div className="admin-check">
          <input
            id={`${ids}-unread`}
            type="checkbox"
            checked={unreadOnly}
            onChange={(e) => setUnreadOnly(e.currentTarget.checked)}
          />
          <label htmlFor={`${ids}-unread`}>{t("inbox.unreadOnly")}</label>
        </div>
        <PagedList
          page={page}
          what={t("inbox.what")}
          empty={t("inbox.empty")}
          render={(note) => (
            <InboxItem
              key={note.id}
              note={note}
              readAt={read[note.id] ?? note.read_at ?? null}
              onRead={(at) => setRead((r) => ({ ...r, [note.id]: at }))}
            />
          )}
        />
        <p>
          <a href="#/settings/notifications">{t("inbox.settings")}</a>
        </p>
      </section>
    </main>
  );
}

function InboxItem({
  note,
  readAt,
  onRead,
}: {
  note: Notification;
  readAt: string | null;
  onRead: (at: string) => void;
}) {
  const headingId = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  async function markRead() {
    if (busy) return;
    setBusy(true);
    setError("");
    const result = await outcome(
      api.POST("/api/v1/me/notifications/{notification_id}/read", { params: { path: { notification_id: note.id } } }),
    );
    setBusy(false);
    if (result.ok) onRead(result.value.read_at ?? new Date().toISOString());
    else setError(problemDetail(result.problem, result.status));
  }

  return (
    <li className={`item inbox-item${readAt ? "" : " inbox-unread"}`} aria-labelledby={headingId} data-testid="notification">
      <h3 id={headingId} className="item-title">
        {notificationKindInWords(note.kind)}{" "}
        {readAt ? <Badge tone="other">{t("inbox.read")}</Badge> : <Badge tone="new">{t("inbox.unread")}</Badge>}
      </h3>
      <p>{note.message}</p>
      <p className="muted">
        {t("inbox.when")}: {formatDateTime(note.created_at)}
      </p>
      {!readAt && (
        <button type="button" className="secondary" disabled={busy} aria-busy={busy} onClick={() => void markRead()}>
          {busy ? t("inbox.marking") : t("inbox.markRead")}
        </button>
      )}
      <ErrorAlert message={error} />
    </li>
  );
}
