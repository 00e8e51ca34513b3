import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { api, signIn } from "../api/client";
import { t } from "../i18n";
import { problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import { ErrorAlert } from "./common";

type Field = "full_name" | "email" | "date_of_birth" | "password" | "confirm";
type Problems = Partial<Record<Field | "form", string>>;
type Entered = Record<Field, string>;

/** As api/identity/passwords.py checks it (the service's setting `password_min_length`). */
const MIN_PASSWORD = 10;

function today(): string {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** What can be told before anything is sent: empty fields, the email's shape, the passwords. */
export function registrationProblems(entered: Entered): Problems {
  const problems: Problems = {};
  for (const field of ["full_name", "email", "date_of_birth", "password", "confirm"] as const) {
    if (!entered[field].trim()) problems[field] = t("auth.register.required");
  }
  if (!problems.email && !/^[^\s@]+@[^\s@]+$/.test(entered.email.trim())) problems.email = t("auth.register.badEmail");
  if (!problems.date_of_birth && entered.date_of_birth > today()) problems.date_of_birth = t("auth.register.futureBirth");
  if (!problems.password && entered.password.length < MIN_PASSWORD)
    problems.password = t("auth.register.shortPassword", { count: MIN_PASSWORD });
  if (!problems.password && !problems.confirm && entered.confirm !== entered.password)
    problems.confirm = t("auth.register.mismatch");
  return problems;
}

/** The service's refusal (problem+json) as words next to the field it is about. */
export function refusalProblems(status: number, problem: unknown): Problems {
  const p = typeof problem === "object" && problem !== null ? (problem as Record<string, unknown>) : {};
  if (status === 409) return { email: t("auth.register.emailTaken") };
  const errors = Array.isArray(p["errors"]) ? (p["errors"] as unknown[]) : [];
  const found: Problems = {};
  for (const e of errors) {
    if (typeof e !== "object" || e === null) continue;
    const loc = (e as { loc?: unknown }).loc;
    const msg = (e as { msg?: unknown }).msg;
    const field: unknown = Array.isArray(loc) ? (loc as unknown[])[loc.length - 1] : undefined;
    if (field === "email") found.email = t("auth.register.badEmail");
    else if (field === "full_name" || field === "date_of_birth" || field === "password")
      found[field] = typeof msg === "string" && msg ? problemDetail({ detail: msg }) : t("auth.register.required");
  }
  if (Object.keys(found).length) return found;
  const detail = typeof p["detail"] === "string" ? p["detail"] : "";
  if (status === 422 && /date of birth/i.test(detail)) return { date_of_birth: t("auth.register.futureBirth") };
  const atLeast = /password must have at least (\d+)/i.exec(detail);
  if (status === 422 && atLeast) return { password: t("auth.register.shortPassword", { count: atLeast[1] ?? MIN_PASSWORD }) };
  if (status === 422 && /password/i.test(detail)) return { password: t("auth.register.weakPassword") };
  return { form: problemDetail(problem, status) };
}

/**
 * "Create an account" (patients): POST /api/v1/auth/register, each problem told next to its
 * field; then the new person is signed in with the same email and password, and sees the UHID.
 */
export function RegisterForm({ onSignedIn, onBack }: { onSignedIn: () => Promise<void>; onBack: () => void }) {
  const ids = useId();
  const [entered, setEntered] = useState<Entered>({
    full_name: "",
    email: "",
    date_of_birth: "",
    password: "",
    confirm: "",
  });
  const [problems, setProblems] = useState<Problems>({});
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<{ uhid: string; signInProblem: string } | null>(null);
  const doneHeading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    if (done) doneHeading.current?.focus();
  }, [done]);

  const set = (field: Field) => (value: string) => setEntered((prev) => ({ ...prev, [field]: value }));

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    const local = registrationProblems(entered);
    setProblems(local);
    if (Object.keys(local).length) {
      focusFirst(ids, local);
      return;
    }
    setBusy(true);
    const email = entered.email.trim();
    const made = await outcome(
      api.POST("/api/v1/auth/register", {
        body: {
          full_name: entered.full_name.trim(),
          email,
          date_of_birth: entered.date_of_birth,
          password: entered.password,
        },
      }),
    );
    if (!made.ok) {
      setBusy(false);
      const refused = refusalProblems(made.status, made.problem);
      setProblems(refused);
      focusFirst(ids, refused);
      return;
    }
    const signedIn = await signIn(email, entered.password);
    setBusy(false);
    setEntered((prev) => ({ ...prev, password: "", confirm: "" }));
    setDone({
      uhid: made.value.uhid_display,
      signInProblem: signedIn.ok ? "" : problemDetail(signedIn.problem, signedIn.status),
    });
  };

  if (done) {
    return (
      <section className="register-done" aria-labelledby={`${ids}-done`}>
        <h2 id={`${ids}-done`} ref={doneHeading} tabIndex={-1}>
          {t("auth.register.done")}
        </h2>
        <p>{t("auth.register.uhidIs")}</p>
        <p className="register-uhid" data-testid="new-uhid">
          {done.uhid}
        </p>
        <p className="hint">{t("auth.register.uhidHint")}</p>
        {done.signInProblem ? (
          <>
            <ErrorAlert message={t("auth.register.signInFailed", { problem: done.signInProblem })} />
            <button type="button" className="secondary wide-button" onClick={onBack}>
              {t("auth.backToPassword")}
            </button>
          </>
        ) : (
          <button type="button" className="primary wide-button" onClick={() => void onSignedIn()}>
            {t("auth.register.continue")}
          </button>
        )}
      </section>
    );
  }

  const fieldProps = (field: Field) => ({
    id: `${ids}-${field}`,
    value: entered[field],
    onChange: (e: { currentTarget: HTMLInputElement }) => set(field)(e.currentTarget.value),
    "aria-invalid": problems[field] ? true : undefined,
    "aria-describedby":
      [field === "password" ? `${ids}-password-hint` : "", problems[field] ? `${ids}-${field}-error` : ""]
        .filter(Boolean)
        .join(" ") || undefined,
  });
  const fieldError = (field: Field) =>
    problems[field] ? (
      <p id={`${ids}-${field}-error`} role="alert" className="alert field-alert">
        {problems[field]}
      </p>
    ) : null;

  return (
    <section aria-labelledby={`${ids}-heading`}>
      <h2 id={`${ids}-heading`}>{t("auth.register.heading")}</h2>
      <p className="muted">{t("auth.register.intro")}</p>
      <form className="signin-form" data-testid="register-form" onSubmit={(e) => void submit(e)} noValidate>
        <div className="field">
          <label htmlFor={`${ids}-full_name`}>{t("auth.register.fullName")}</label>
          <input type="text" autoComplete="name" maxLength={200} {...fieldProps("full_name")} />
          {fieldError("full_name")}
        </div>
        <div className="field">
          <label htmlFor={`${ids}-email`}>{t("auth.email")}</label>
          <input
            type="email"
            autoComplete="email"
            autoCapitalize="none"
            spellCheck={false}
            maxLength={320}
            {...fieldProps("email")}
          />
          {fieldError("email")}
        </div>
        <div className="field">
          <label htmlFor={`${ids}-date_of_birth`}>{t("auth.register.dateOfBirth")}</label>
          <input type="date" autoComplete="bday" max={today()} {...fieldProps("date_of_birth")} />
          {fieldError("date_of_birth")}
        </div>
        <div className="field">
          <label htmlFor={`${ids}-password`}>{t("auth.register.password")}</label>
          <input type="password" autoComplete="new-password" maxLength={128} {...fieldProps("password")} />
          <p id={`${ids}-password-hint`} className="hint">
            {t("auth.register.passwordHint")}
          </p>
          {fieldError("password")}
        </div>
        <div className="field">
          <label htmlFor={`${ids}-confirm`}>{t("auth.register.confirm")}</label>
          <input type="password" autoComplete="new-password" maxLength={128} {...fieldProps("confirm")} />
          {fieldError("confirm")}
        </div>
        <ErrorAlert message={problems.form ?? ""} />
        <button type="submit" className="primary wide-button" disabled={busy} aria-busy={busy}>
          {busy ? t("auth.register.submitting") : t("auth.register.submit")}
        </button>
      </form>
      <button type="button" className="link back-link" onClick={onBack}>
        {t("auth.backToPassword")}
      </button>
    </section>
  );
}

/** Put the cursor in the first field with a problem, so a keyboard or screen reader user lands on it. */
function focusFirst(ids: string, problems: Problems): void {
  const order: Field[] = ["full_name", "email", "date_of_birth", "password", "confirm"];
  const first = order.find((f) => problems[f]);
  if (first) document.getElementById(`${ids}-${first}`)?.focus();
}
