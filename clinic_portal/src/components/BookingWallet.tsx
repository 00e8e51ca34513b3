// The patient's wallet, unlocked where she books to sign a grant: the wallet saved in this
// browser (the health screen saves the one she imported or created), or a wallet file. A
// compact form of WalletPanel's "Import a wallet file", with its words; the key stays in
// memory (src/lib/wallet.ts) and the appointments screen forgets it when she leaves.

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { t } from "../i18n";
import { unlockKeystore, WalletError, type UnlockedWallet } from "../lib/wallet";
import { loadSavedWallet, saveWallet, type SavedWallet } from "../lib/walletStore";
import { shortAddress } from "./WalletPanel";

const MAX_KEYSTORE_BYTES = 64 * 1024;

export function BookingWallet({ ownerId, onUnlocked }: { ownerId: string; onUnlocked: (wallet: UnlockedWallet) => void }) {
  const ids = useId();
  const [saved, setSaved] = useState<SavedWallet | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const fileInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    let live = true;
    void loadSavedWallet(ownerId).then((w) => {
      if (live) setSaved(w);
    });
    return () => {
      live = false;
    };
  }, [ownerId]);

  async function unlock(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setError("");
    if (!password) {
      setError(t("wallet.import.typePassword"));
      return;
    }
    let json: string;
    if (file) {
      if (file.size > MAX_KEYSTORE_BYTES) {
        setError(t("wallet.import.tooLarge"));
        return;
      }
      json = await file.text();
    } else if (saved) {
      json = saved.keystore;
    } else {
      setError(t("wallet.import.chooseFile"));
      return;
    }
    setBusy(true);
    try {
      const opened = await unlockKeystore(json, password);
      setPassword("");
      if (file) await saveWallet(ownerId, { keystore: json, address: opened.address, savedAt: new Date().toISOString() });
      onUnlocked(opened);
    } catch (e) {
      setError(e instanceof WalletError ? e.message : t("wallet.error.notUnlocked"));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="booking-wallet" onSubmit={(e) => void unlock(e)} aria-labelledby={`${ids}-heading`}>
      <h4 id={`${ids}-heading`}>{t("scheduling.grant.unlockHeading")}</h4>
      <p className="hint">
        {saved ? t("wallet.import.saved", { address: shortAddress(saved.address) }) : t("scheduling.grant.noSavedWallet")}
      </p>
      <div className="field">
        <label htmlFor={`${ids}-file`}>{t("wallet.import.file")}</label>
        <input
          ref={fileInput}
          id={`${ids}-file`}
          type="file"
          accept=".json,application/json"
          onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
        />
      </div>
      <div className="field">
        <label htmlFor={`${ids}-password`}>{t("wallet.import.password")}</label>
        <input
          id={`${ids}-password`}
          type="password"
          autoComplete="current-password"
          value={password}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${ids}-error` : undefined}
          onChange={(e) => setPassword(e.currentTarget.value)}
        />
      </div>
      {error && (
        <p id={`${ids}-error`} role="alert" className="alert">
          {error}
        </p>
      )}
      <button type="submit" className="secondary" disabled={busy} aria-busy={busy}>
        {busy ? t("wallet.import.unlocking") : saved && !file ? t("wallet.import.unlockSaved") : t("wallet.import.unlock")}
      </button>
    </form>
  );
}
