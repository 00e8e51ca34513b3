import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { api } from "../api/client";
import { t } from "../i18n";
import { problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import { ErrorAlert } from "./common";

/**
 * "Forgot your password?" on the sign-in card: POST /api/v1/auth/password-reset. The answer
 * is the same whether or not the address has an account (the service's 202 says nothing
 * more), so the portal shows the same words either way.
 */
export function ForgotPassword({ onBack }: { onBack: () => void }) {
  const ids = useId();
  const [email, setEmail] = useState("");
  const [busy, setBusy] = useState(false);
  // Kept as functions of the moment's language, so a switch of language re-words them.
  const [emailError, setEmailError] = useState<(() => string) | null>(null);
  const [formError, setFormError] = useState<(() => string) | null>(null);
  const [sent, setSent] = useState(false);
  const sentRef = useRef<HTMLParagraphElement>(null);
  const emailRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (sent) sentRef.current?.focus();
  }, [sent]);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    const typed = email.trim();
    setFormError(null);
    if (!typed) {
      setEmailError(() => () => t("auth.account.emailRequired"));
      emailRef.current?.focus();
      return;
    }
    setEmailError(null);
    setBusy(true);
    const result = await outcome(api.POST("/api/v1/auth/password-reset", { body: { email: typed } }));
    setBusy(false);
    if (result.ok) {
      setSent(true);
      return;
    }
    const { problem, status } = result;
    if (status === 429) setEmailError(() => () => t("auth.account.tooMany"));
    else if (status === 422) setEmailError(() => () => problemDetail(problem, status));
    else setFormError(() => () => problemDetail(problem, status));
    if (result.status === 429 || result.status === 422) emailRef.current?.focus();
  }

  return (
    <section aria-labelledby={`${ids}-heading`}>
      <h2 id={`${ids}-heading`}>{t("auth.account.forgotHeading")}</h2>
      {sent ? (
        <p ref={sentRef} tabIndex={-1} role="status" className="success" data-testid="reset-sent">
          {t("auth.account.resetSent")}
        </p>
      ) : (
        <>
          <p className="muted">{t("auth.account.forgotIntro")}</p>
          <form className="signin-form" data-testid="forgot-form" onSubmit={(e) => void submit(e)} noValidate>
            <div className="field">
              <label htmlFor={`${ids}-email`}>{t("auth.email")}</label>
              <input
                ref={emailRef}
                id={`${ids}-email`}
                type="email"
                autoComplete="username"
                autoCapitalize="none"
                spellCheck={false}
                maxLength={320}
                required
                value={email}
                onChange={(e) => setEmail(e.currentTarget.value)}
                aria-invalid={emailError ? true : undefined}
                aria-describedby={emailError ? `${ids}-email-error` : undefined}
              />
              {emailError && (
                <p id={`${ids}-email-error`} role="alert" className="alert field-alert">
                  {emailError()}
                </p>
              )}
            </div>
            <ErrorAlert message={formError?.() ?? ""} />
            <button type="submit" className="primary wide-button" disabled={busy} aria-busy={busy}>
              {busy ? t("auth.account.sending") : t("auth.account.sendLink")}
            </button>
          </form>
        </>
      )}
      <button type="button" className="link back-link" onClick={onBack}>
        {t("auth.backToPassword")}
      </button>
    </section>
  );
}
