import { LanguageSwitch, t } from "../i18n";
import { useState, type FormEvent } from "react";
import { signIn } from "../api/client";
import { problemDetail } from "../lib/format";

/** The sign-in form. `notice` is shown first (e.g. "Your session has ended"). */
export function SignIn({ notice, onSignedIn }: { notice: string; onSignedIn: () => Promise<void> }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    if (!email.trim() || !password) {
      setError("Enter your email and password.");
      return;
    }
    setBusy(true);
    setError("");
    const result = await signIn(email.trim(), password);
    if (result.ok) {
      setPassword("");
      await onSignedIn();
      setBusy(false);
      return;
    }
    setBusy(false);
    setError(problemDetail(result.problem, result.status));
  }

  const message = error || notice;
  return (
    <main className="signin" id="main">
      <div className="signin-card">
        <LanguageSwitch />
        <h1>{t("common.portalName")}</h1>
        <p className="muted">Sign in to see your health records, or your patients'.</p>
        <form data-testid="signin-form" className="signin-form" onSubmit={(e) => void submit(e)} noValidate>
          <div className="field">
            <label htmlFor="signin-email">Email</label>
            <input
              id="signin-email"
              name="username"
              type="email"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="signin-password">Password</label>
            <input
              id="signin-password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </div>
          <div role="alert" className={message ? "alert" : "alert-empty"}>
            {message}
          </div>
          <button type="submit" className="primary wide-button" disabled={busy} aria-busy={busy}>
            Sign in
          </button>
        </form>
      </div>
    </main>
  );
}
