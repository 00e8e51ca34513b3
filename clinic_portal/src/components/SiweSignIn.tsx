import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { t } from "../i18n";
import { signInWithWallet } from "../lib/siweFlow";
import { browserWalletProvider, connectBrowser, lockWallet, unlockKeystore, WalletError } from "../lib/wallet";
import { listSavedWallets, type SavedWallet } from "../lib/walletStore";
import { ErrorAlert } from "./common";
import { KeystoreFields, keystoreText } from "./KeystoreFields";

type Busy = "" | "unlocking" | "signing";

/**
 * "Sign in with a wallet" (EIP-4361): the wallet saved in this browser or a wallet file, unlocked
 * with its password, or a browser wallet, signs the service's SIWE message; the account the
 * wallet is linked to is signed in. The key is forgotten again at once.
 */
export function SiweSignIn({ onSignedIn, onBack }: { onSignedIn: () => Promise<void>; onBack: () => void }) {
  const ids = useId();
  const [saved, setSaved] = useState<SavedWallet[]>([]);
  const [chosen, setChosen] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState<Busy>("");
  const [error, setError] = useState("");
  const [browserError, setBrowserError] = useState("");
  const fileInput = useRef<HTMLInputElement>(null);
  const hasBrowserWallet = browserWalletProvider() !== null;

  useEffect(() => {
    let live = true;
    void listSavedWallets().then((wallets) => {
      if (!live) return;
      setSaved(wallets);
      setChosen(wallets[0]?.address ?? "");
    });
    return () => {
      live = false;
    };
  }, []);

  /**
   * Sign the SIWE message with the wallet now held. Refused, the wallet is forgotten at once;
   * signed in, it stays unlocked for the patient's wallet panel (the sign-in screen forgets it
   * again after signing out).
   */
  const signWithHeld = async (): Promise<string> => {
    setBusy("signing");
    let signedIn = false;
    try {
      const result = await signInWithWallet();
      if (!result.ok) return result.message;
      signedIn = true;
    } finally {
      if (!signedIn) lockWallet();
    }
    await onSignedIn();
    return "";
  };

  const unlockAndSign = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    setError("");
    setBrowserError("");
    const savedKeystore = saved.find((w) => w.address === chosen)?.keystore;
    if (!file && !savedKeystore) {
      setError(t("auth.siwe.chooseFile"));
      return;
    }
    if (!password) {
      setError(t("auth.siwe.typePassword"));
      return;
    }
    setBusy("unlocking");
    try {
      const json = await keystoreText(file, savedKeystore, t("auth.siwe.chooseFile"));
      await unlockKeystore(json, password);
      setPassword("");
      setError(await signWithHeld());
    } catch (e) {
      setError(e instanceof WalletError ? e.message : t("wallet.error.notUnlocked"));
    } finally {
      setBusy("");
    }
  };

  const browserSign = async () => {
    if (busy) return;
    setError("");
    setBrowserError("");
    setBusy("signing");
    try {
      await connectBrowser();
      setBrowserError(await signWithHeld());
    } catch (e) {
      setBrowserError(e instanceof WalletError ? e.message : t("wallet.error.notConnected"));
    } finally {
      setBusy("");
    }
  };

  const useSaved = saved.length > 0 && !file;
  return (
    <section className="siwe" aria-labelledby={`${ids}-heading`}>
      <h2 id={`${ids}-heading`}>{t("auth.siwe.heading")}</h2>
      <p className="muted">{t("auth.siwe.intro")}</p>
      <form className="signin-form" data-testid="siwe-form" onSubmit={(e) => void unlockAndSign(e)} noValidate>
        {saved.length > 0 ? (
          <div className="field">
            <label htmlFor={`${ids}-saved`}>{t("auth.siwe.savedHeading")}</label>
            <select
              id={`${ids}-saved`}
              value={chosen}
              disabled={Boolean(file)}
              onChange={(e) => setChosen(e.currentTarget.value)}
            >
              {saved.map((w) => (
                <option key={w.address} value={w.address}>
                  {w.address}
                </option>
              ))}
            </select>
          </div>
        ) : (
          <p className="hint">{t("auth.siwe.noSaved")}</p>
        )}
        <KeystoreFields
          idPrefix={ids}
          fileLabel={saved.length > 0 ? t("auth.siwe.otherFile") : t("auth.siwe.file")}
          passwordLabel={t("auth.siwe.password")}
          password={password}
          error={error}
          fileInput={fileInput}
          onFile={setFile}
          onPassword={setPassword}
        />
        <button type="submit" className="primary wide-button" disabled={busy !== ""} aria-busy={busy !== ""}>
          {busy === "unlocking"
            ? t("auth.siwe.unlocking")
            : busy === "signing"
              ? t("auth.siwe.signing")
              : useSaved
                ? t("auth.siwe.signWithSaved")
                : t("auth.siwe.signWithFile")}
        </button>
      </form>
      <div className="siwe-browser">
        <h3>{t("auth.siwe.browserHeading")}</h3>
        {hasBrowserWallet ? (
          <button
            type="button"
            className="secondary wide-button"
            onClick={() => void browserSign()}
            disabled={busy !== ""}
            aria-busy={busy === "signing"}
          >
            {t("auth.siwe.signWithBrowser")}
          </button>
        ) : (
          <p className="hint">{t("auth.siwe.noBrowserWallet")}</p>
        )}
        <ErrorAlert message={browserError} />
      </div>
      <button type="button" className="link back-link" onClick={onBack}>
        {t("auth.backToPassword")}
      </button>
    </section>
  );
}
