import { LanguageSwitch, t, useI18n } from "../i18n";
import { useEffect, useState, type FormEvent } from "react";
import { signIn } from "../api/client";
import { problemDetail } from "../lib/format";
import { lockWallet } from "../lib/wallet";
import { ForgotPassword } from "./ForgotPassword";
import { RegisterForm } from "./RegisterForm";
import { SiweSignIn } from "./SiweSignIn";

type Way = "password" | "register" | "wallet" | "forgot";

/**
 * The signed-out screen: sign in with email and password (`notice` is shown first, e.g. "Your
 * session has ended"), or with a wallet (SIWE), or create a patient account, or ask for a link
 * to reset a forgotten password.
 */
export function SignIn({ notice, onSignedIn }: { notice: string; onSignedIn: () => Promise<void> }) {
  useI18n(); // re-render in the language just chosen (the provider's children do not on their own)
  const [way, setWay] = useState<Way>("password");
  // Signed out: no wallet key stays in this tab (a wallet sign-in leaves it unlocked for the session).
  useEffect(() => lockWallet(), []);
  return (
    <main className="signin" id="main">
      <div className="signin-card">
        <LanguageSwitch />
        <h1>{t("common.portalName")}</h1>
        {way === "register" ? (
          <RegisterForm onSignedIn={onSignedIn} onBack={() => setWay("password")} />
        ) : way === "forgot" ? (
          <ForgotPassword onBack={() => setWay("password")} />
        ) : way === "wallet" ? (
          <SiweSignIn onSignedIn={onSignedIn} onBack={() => setWay("password")} />
        ) : (
          <>
            <PasswordSignIn notice={notice} onSignedIn={onSignedIn} onForgot={() => setWay("forgot")} />
            <nav className="auth-ways" aria-label={t("auth.otherWays")}>
              <button type="button" className="secondary wide-button" onClick={() => setWay("wallet")}>
                {t("auth.useWallet")}
              </button>
              <button type="button" className="secondary wide-button" onClick={() => setWay("register")}>
                {t("auth.createAccount")}
              </button>
            </nav>
          </>
        )}
      </div>
    </main>
  );
}

function PasswordSignIn({
  notice,
  onSignedIn,
  onForgot,
}: {
  notice: string;
  onSignedIn: () => Promise<void>;
  onForgot: () => void;
}) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    if (!email.trim() || !password) {
      setError(t("auth.missingCredentials"));
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
    <>
      <p className="muted">{t("auth.intro")}</p>
      <form data-testid="signin-form" className="signin-form" onSubmit={(e) => void submit(e)} noValidate>
        <div className="field">
          <label htmlFor="signin-email">{t("auth.email")}</label>
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
          <label htmlFor="signin-password">{t("auth.password")}</label>
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
          {t("auth.signIn")}
        </button>
      </form>
      <button type="button" className="link back-link" onClick={onForgot}>
        {t("auth.account.forgot")}
      </button>
    </>
  );
}
