import { useEffect, useId, useState, type FormEvent } from "react";
import { api, type Me } from "../api/client";
import { t, useI18n, type MessageKey } from "../i18n";
import { changedPreferences, NOTIFICATION_KINDS, orderedKinds } from "../lib/accountLinks";
import { humanise, problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import { ErrorAlert, Loading } from "./common";

type Choices = Record<string, boolean>;
type Loaded =
  | { status: "loading" }
  | { status: "error"; error: string }
  | { status: "ready"; saved: Choices; confirmed: boolean };

function kindWords(kind: string): string {
  const known: readonly string[] = NOTIFICATION_KINDS;
  return known.includes(kind) ? t(`auth.account.kind.${kind}` as MessageKey) : humanise(kind);
}

/**
 * "Email notifications" (`#/settings/notifications`, everyone signed in): per kind of
 * notification, whether it comes by email too (GET/PUT /api/v1/me/notification-preferences),
 * and, while the address is unconfirmed, a new confirmation link (POST /me/email/confirmation).
 */
export function NotificationSettings({ me }: { me: Me }) {
  useI18n(); // a change of language re-renders the screen in the new words
  const [loaded, setLoaded] = useState<Loaded>({ status: "loading" });
  const [draft, setDraft] = useState<Choices>({});

  useEffect(() => {
    let live = true;
    void outcome(api.GET("/api/v1/me/notification-preferences")).then((result) => {
      if (!live) return;
      if (result.ok) {
        setLoaded({ status: "ready", saved: result.value.email, confirmed: result.value.email_address_confirmed });
        setDraft(result.value.email);
      } else setLoaded({ status: "error", error: problemDetail(result.problem, result.status) });
    });
    return () => {
      live = false;
    };
  }, []);

  return (
    <main className="content" id="main">
      <h1 className="page-title">{t("auth.account.settingsTitle")}</h1>
      {loaded.status === "loading" && <Loading what={t("auth.account.settingsWhat")} />}
      {loaded.status === "error" && <ErrorAlert message={loaded.error} />}
      {loaded.status === "ready" && (
        <div className="grid">
          {!loaded.confirmed && <ConfirmationPanel email={me.email} />}
          <PreferencesForm
            email={me.email}
            saved={loaded.saved}
            draft={draft}
            onDraft={setDraft}
            onSaved={(saved, confirmed) => {
              setLoaded({ status: "ready", saved, confirmed });
              setDraft(saved);
            }}
          />
        </div>
      )}
    </main>
  );
}

function ConfirmationPanel({ email }: { email: string }) {
  const ids = useId();
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(false);
  // Kept as a function of the moment's language, so a switch of language re-words it.
  const [error, setError] = useState<(() => string) | null>(null);

  async function resend() {
    if (busy) return;
    setBusy(true);
    setError(null);
    const result = await outcome(api.POST("/api/v1/me/email/confirmation"));
    setBusy(false);
    if (result.ok) setSent(true);
    else if (result.status === 409) setError(() => () => t("auth.account.alreadyConfirmed"));
    else if (result.status === 429) setError(() => () => t("auth.account.tooMany"));
    else {
      const { problem, status } = result;
      setError(() => () => problemDetail(problem, status));
    }
  }

  return (
    <section className="card" aria-labelledby={`${ids}-heading`}>
      <h2 id={`${ids}-heading`}>{t("auth.account.unconfirmedHeading")}</h2>
      <p>{t("auth.account.unconfirmed", { email })}</p>
      <button type="button" className="secondary" disabled={busy} aria-busy={busy} onClick={() => void resend()}>
        {busy ? t("auth.account.sending") : t("auth.account.resend")}
      </button>
      {sent && (
        <p role="status" className="success">
          {t("auth.account.resent", { email })}
        </p>
      )}
      <ErrorAlert message={error?.() ?? ""} />
    </section>
  );
}

function PreferencesForm({
  email,
  saved,
  draft,
  onDraft,
  onSaved,
}: {
  email: string;
  saved: Choices;
  draft: Choices;
  onDraft: (next: Choices) => void;
  onSaved: (saved: Choices, confirmed: boolean) => void;
}) {
  const ids = useId();
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<{ ok: boolean; text: () => string } | null>(null);

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    const changed = changedPreferences(saved, draft);
    if (Object.keys(changed).length === 0) {
      setNote({ ok: true, text: () => t("auth.account.nothingChanged") });
      return;
    }
    setBusy(true);
    setNote(null);
    const result = await outcome(api.PUT("/api/v1/me/notification-preferences", { body: { email: changed } }));
    setBusy(false);
    if (result.ok) {
      onSaved(result.value.email, result.value.email_address_confirmed);
      setNote({ ok: true, text: () => t("auth.account.saved") });
    } else {
      const { problem, status } = result;
      setNote({ ok: false, text: () => problemDetail(problem, status) });
    }
  }

  return (
    <section className="card" aria-labelledby={`${ids}-heading`}>
      <p className="muted">{t("auth.account.settingsIntro")}</p>
      <p>{t("auth.account.sendTo", { email })}</p>
      <h2 id={`${ids}-heading`}>{t("auth.account.kindsLegend")}</h2>
      <form onSubmit={(e) => void save(e)} data-testid="notification-preferences">
        <fieldset aria-labelledby={`${ids}-heading`}>
          {orderedKinds(draft).map((kind) => (
            <div className="admin-check" key={kind}>
              <input
                id={`${ids}-${kind}`}
                type="checkbox"
                checked={draft[kind] ?? false}
                onChange={(e) => {
                  setNote(null);
                  onDraft({ ...draft, [kind]: e.currentTarget.checked });
                }}
              />
              <label htmlFor={`${ids}-${kind}`}>{kindWords(kind)}</label>
            </div>
          ))}
        </fieldset>
        <button type="submit" className="primary" disabled={busy} aria-busy={busy}>
          {busy ? t("auth.account.saving") : t("auth.account.save")}
        </button>
        {note && note.ok && (
          <p role="status" className="success">
            {note.text()}
          </p>
        )}
        {note && !note.ok && <ErrorAlert message={note.text()} />}
      </form>
    </section>
  );
}
