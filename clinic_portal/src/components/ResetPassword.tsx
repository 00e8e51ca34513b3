import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { api } from "../api/client";
import { LanguageSwitch, t, useI18n } from "../i18n";
import { MIN_PASSWORD, newPasswordProblems, resetRefusal, succeeded, type NewPasswordProblem } from "../lib/accountLinks";
import { problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import { ErrorAlert } from "./common";

type Field = "password" | "confirm";
// Kept as functions of the moment's language, so a switch of language re-words them.
type Problems = Partial<Record<Field | "link" | "form", () => string>>;

function localWords(field: Field, problem: NewPasswordProblem): string {
  if (problem === "short") return t("auth.register.shortPassword", { count: MIN_PASSWORD });
  if (problem === "mismatch") return t("auth.register.mismatch");
  return field === "password" ? t("auth.account.passwordRequired") : t("auth.account.confirmRequired");
}

/**
 * The page a mailed reset link opens (`#/reset-password?token=…`), signed in or not: choose a
 * new password (the registration's strength rules), POST /api/v1/auth/password-reset/confirm.
 * Every sign-in of the account ends, so `onDone` should lead to the sign-in page.
 */
export function ResetPassword({ token, onDone }: { token: string; onDone: () => void }) {
  useI18n(); // shown outside the signed-in views: re-render on a change of language
  const ids = useId();
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<Problems>(token ? {} : { link: () => t("auth.account.linkInvalid") });
  const [done, setDone] = useState(false);
  const doneRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    if (done) doneRef.current?.focus();
  }, [done]);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    const local = newPasswordProblems(password, confirm);
    const found: Problems = {};
    if (local.password) found.password = () => localWords("password", local.password ?? "required");
    if (local.confirm) found.confirm = () => localWords("confirm", local.confirm ?? "required");
    setProblems(found);
    if (found.password || found.confirm) {
      document.getElementById(`${ids}-${found.password ? "password" : "confirm"}`)?.focus();
      return;
    }
    setBusy(true);
    const result = await outcome(
      api.POST("/api/v1/auth/password-reset/confirm", { body: { token, new_password: password } }),
    );
    setBusy(false);
    if (succeeded(result)) {
      setPassword("");
      setConfirm("");
      setDone(true);
      return;
    }
    const status = result.ok ? 200 : result.status;
    const problem = result.ok ? undefined : result.problem;
    const refusal = resetRefusal(status, problem);
    if (refusal.about === "link") setProblems({ link: () => t("auth.account.linkInvalid") });
    else if (refusal.about === "password") {
      setProblems({
        password: () =>
          refusal.atLeast !== null
            ? t("auth.register.shortPassword", { count: refusal.atLeast })
            : problemDetail({ detail: refusal.detail }) || t("auth.register.weakPassword"),
      });
      document.getElementById(`${ids}-password`)?.focus();
    } else setProblems({ form: () => problemDetail(problem, status) });
  }

  const described = (field: Field) =>
    [field === "password" ? `${ids}-hint` : "", problems[field] ? `${ids}-${field}-error` : ""].filter(Boolean).join(" ") ||
    undefined;
  const fieldError = (field: Field) =>
    problems[field] ? (
      <p id={`${ids}-${field}-error`} role="alert" className="alert field-alert">
        {problems[field]()}
      </p>
    ) : null;

  return (
    <main className="signin" id="main">
      <div className="signin-card">
        <LanguageSwitch />
        <h1>{t("common.portalName")}</h1>
        <section aria-labelledby={`${ids}-heading`}>
          {done ? (
            <>
              <h2 id={`${ids}-heading`} ref={doneRef} tabIndex={-1}>
                {t("auth.account.resetHeading")}
              </h2>
              <p role="status" className="success">
                {t("auth.account.passwordSaved")}
              </p>
              <button type="button" className="primary wide-button" onClick={onDone}>
                {t("auth.account.goToSignIn")}
              </button>
            </>
          ) : problems.link ? (
            <>
              <h2 id={`${ids}-heading`}>{t("auth.account.resetHeading")}</h2>
              <ErrorAlert message={problems.link()} />
              <button type="button" className="primary wide-button" onClick={onDone}>
                {t("auth.account.goToSignIn")}
              </button>
            </>
          ) : (
            <>
              <h2 id={`${ids}-heading`}>{t("auth.account.resetHeading")}</h2>
              <p className="muted">{t("auth.account.resetIntro")}</p>
              <form className="signin-form" data-testid="reset-form" onSubmit={(e) => void submit(e)} noValidate>
                <div className="field">
                  <label htmlFor={`${ids}-password`}>{t("auth.account.newPassword")}</label>
                  <input
                    id={`${ids}-password`}
                    type="password"
                    autoComplete="new-password"
                    maxLength={128}
                    value={password}
                    onChange={(e) => setPassword(e.currentTarget.value)}
                    aria-invalid={problems.password ? true : undefined}
                    aria-describedby={described("password")}
                  />
                  <p id={`${ids}-hint`} className="hint">
                    {t("auth.register.passwordHint")}
                  </p>
                  {fieldError("password")}
                </div>
                <div className="field">
                  <label htmlFor={`${ids}-confirm`}>{t("auth.account.confirmPassword")}</label>
                  <input
                    id={`${ids}-confirm`}
                    type="password"
                    autoComplete="new-password"
                    maxLength={128}
                    value={confirm}
                    onChange={(e) => setConfirm(e.currentTarget.value)}
                    aria-invalid={problems.confirm ? true : undefined}
                    aria-describedby={described("confirm")}
                  />
                  {fieldError("confirm")}
                </div>
                <ErrorAlert message={problems.form?.() ?? ""} />
                <button type="submit" className="primary wide-button" disabled={busy} aria-busy={busy}>
                  {busy ? t("auth.account.saving") : t("auth.account.savePassword")}
                </button>
              </form>
            </>
          )}
        </section>
      </div>
    </main>
  );
}
