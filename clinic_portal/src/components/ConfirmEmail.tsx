import { useEffect, useId, useRef, useState } from "react";
import { api } from "../api/client";
import { LanguageSwitch, t, useI18n } from "../i18n";
import { resetRefusal, succeeded } from "../lib/accountLinks";
import { problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import { ErrorAlert } from "./common";

type State = { kind: "ready" } | { kind: "busy" } | { kind: "done" } | { kind: "failed"; message: () => string }; // words in the moment's language

/**
 * The page a mailed confirmation link opens (`#/confirm-email?token=…`), signed in or not.
 * The token is spent only when the person presses the button, so a mail program or browser
 * that opens the link ahead of them does not use it up. POST /api/v1/auth/email/confirm.
 */
export function ConfirmEmail({ token, onDone }: { token: string; onDone: () => void }) {
  useI18n(); // shown outside the signed-in views: re-render on a change of language
  const ids = useId();
  const [state, setState] = useState<State>(
    token ? { kind: "ready" } : { kind: "failed", message: () => t("auth.account.confirmLinkInvalid") },
  );
  const doneRef = useRef<HTMLParagraphElement>(null);

  useEffect(() => {
    if (state.kind === "done") doneRef.current?.focus();
  }, [state.kind]);

  async function confirm() {
    if (state.kind === "busy") return;
    setState({ kind: "busy" });
    const result = await outcome(api.POST("/api/v1/auth/email/confirm", { body: { token } }));
    if (succeeded(result)) {
      setState({ kind: "done" });
      return;
    }
    const status = result.ok ? 200 : result.status;
    const problem = result.ok ? undefined : result.problem;
    setState({
      kind: "failed",
      message: () =>
        resetRefusal(status, problem).about === "link" ? t("auth.account.confirmLinkInvalid") : problemDetail(problem, status),
    });
  }

  return (
    <main className="signin" id="main">
      <div className="signin-card">
        <LanguageSwitch />
        <h1>{t("common.portalName")}</h1>
        <section aria-labelledby={`${ids}-heading`}>
          <h2 id={`${ids}-heading`}>{t("auth.account.confirmHeading")}</h2>
          {state.kind === "done" ? (
            <p ref={doneRef} tabIndex={-1} role="status" className="success">
              {t("auth.account.confirmed")}
            </p>
          ) : (
            <p className="muted">{t("auth.account.confirmIntro")}</p>
          )}
          {state.kind === "failed" && <ErrorAlert message={state.message()} />}
          {(state.kind === "ready" || state.kind === "busy") && (
            <button
              type="button"
              className="primary wide-button"
              disabled={state.kind === "busy"}
              aria-busy={state.kind === "busy"}
              onClick={() => void confirm()}
            >
              {state.kind === "busy" ? t("auth.account.confirming") : t("auth.account.confirmButton")}
            </button>
          )}
          <button
            type="button"
            className={state.kind === "ready" || state.kind === "busy" ? "link back-link" : "primary wide-button"}
            onClick={onDone}
          >
            {t("auth.account.continue")}
          </button>
        </section>
      </div>
    </main>
  );
}
