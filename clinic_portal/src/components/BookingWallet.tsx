// The patient's wallet, unlocked where she books to sign a grant: the wallet saved in this
// browser (the health screen saves the one she imported or created), or a wallet file. A
// compact form of WalletPanel's "Import a wallet file", with its words; the key stays in
// memory (src/lib/wallet.ts) and the appointments screen forgets it when she leaves.

import { useEffect, useId, useState, type FormEvent } from "react";
import { t } from "../i18n";
import { unlockKeystore, WalletError, type UnlockedWallet } from "../lib/wallet";
import { loadSavedWallet, saveWallet, type SavedWallet } from "../lib/walletStore";
import { KeystoreFields, keystoreText } from "./KeystoreFields";
import { shortAddress } from "./WalletPanel";

export function BookingWallet({ ownerId, onUnlocked }: { ownerId: string; onUnlocked: (wallet: UnlockedWallet) => void }) {
  const ids = useId();
  const [saved, setSaved] = useState<SavedWallet | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

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
    setBusy(true);
    try {
      const json = await keystoreText(file, saved?.keystore, t("wallet.import.chooseFile"));
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
      <KeystoreFields
        idPrefix={ids}
        fileLabel={t("wallet.import.file")}
        passwordLabel={t("wallet.import.password")}
        password={password}
        error={error}
        onFile={setFile}
        onPassword={setPassword}
      />
      <button type="submit" className="secondary" disabled={busy} aria-busy={busy}>
        {busy ? t("wallet.import.unlocking") : saved && !file ? t("wallet.import.unlockSaved") : t("wallet.import.unlock")}
      </button>
    </form>
  );
}
