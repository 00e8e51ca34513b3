import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import type { OpenRecords } from "../lib/useOpenRecords";
import {
  browserWalletProvider,
  connectBrowser,
  lockWallet,
  unlockKeystore,
  WalletError,
  type UnlockedWallet,
} from "../lib/wallet";
import { forgetSavedWallet, loadSavedWallet, saveWallet, type SavedWallet } from "../lib/walletStore";
import { ErrorAlert } from "./common";

const MAX_KEYSTORE_BYTES = 64 * 1024;

type Busy = "" | "unlocking" | "connecting";

function shortAddress(address: string): string {
  return address.length > 14 ? `${address.slice(0, 8)}…${address.slice(-6)}` : address;
}

/**
 * The patient's wallet: import a keystore file (kept encrypted in IndexedDB) and unlock it with
 * its password, or connect a browser wallet; then "Open my records". The private key stays in
 * memory (src/lib/wallet.ts).
 */
export function WalletPanel({
  ownerId,
  wallet,
  onWallet,
  records,
}: {
  ownerId: string;
  wallet: UnlockedWallet | null;
  onWallet: (wallet: UnlockedWallet | null) => void;
  records: OpenRecords;
}) {
  const ids = useId();
  const [saved, setSaved] = useState<SavedWallet | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState<Busy>("");
  const [error, setError] = useState("");
  const fileInput = useRef<HTMLInputElement>(null);
  const hasBrowserWallet = browserWalletProvider() !== null;

  useEffect(() => {
    let live = true;
    void loadSavedWallet(ownerId).then((w) => {
      if (live) setSaved(w);
    });
    return () => {
      live = false;
    };
  }, [ownerId]);

  const unlock = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setError("");
    if (!password) {
      setError("Type the wallet password.");
      return;
    }
    let json: string;
    const fromFile = file !== null;
    if (file) {
      if (file.size > MAX_KEYSTORE_BYTES) {
        setError("This file is too large to be a wallet file.");
        return;
      }
      json = await file.text();
    } else if (saved) {
      json = saved.keystore;
    } else {
      setError("Choose a wallet file first.");
      return;
    }
    setBusy("unlocking");
    try {
      const unlocked = await unlockKeystore(json, password);
      setPassword("");
      if (fromFile) {
        const toSave: SavedWallet = { keystore: json, address: unlocked.address, savedAt: new Date().toISOString() };
        if (await saveWallet(ownerId, toSave)) setSaved(toSave);
        setFile(null);
        if (fileInput.current) fileInput.current.value = "";
      }
      onWallet(unlocked);
    } catch (e) {
      setError(e instanceof WalletError ? e.message : "The wallet could not be unlocked.");
    } finally {
      setBusy("");
    }
  };

  const connect = async () => {
    setError("");
    setBusy("connecting");
    try {
      onWallet(await connectBrowser());
    } catch (e) {
      setError(e instanceof WalletError ? e.message : "The browser wallet did not connect.");
    } finally {
      setBusy("");
    }
  };

  const lock = () => {
    lockWallet();
    records.close();
    onWallet(null);
  };

  const forget = async () => {
    await forgetSavedWallet(ownerId);
    setSaved(null);
  };

  const opening = records.phase === "signing" || records.phase === "deriving";

  return (
    <section className="card area-wallet" data-testid="wallet" aria-labelledby="wallet-heading">
      <h2 id="wallet-heading">Wallet</h2>
      {wallet ? (
        <div className="wallet-unlocked">
          <p className="wallet-line">
            <span className="muted">
              {wallet.kind === "browser" ? "Browser wallet connected:" : "Wallet unlocked:"}
            </span>{" "}
            <code className="address" data-testid="wallet-address">
              {wallet.address}
            </code>
          </p>
          <p className="hint">Your key stays in this browser tab. Lock the wallet when you are done.</p>
        </div>
      ) : (
        <>
          <form className="wallet-form" onSubmit={(e) => void unlock(e)} aria-busy={busy === "unlocking"}>
            <h3>Import a wallet file</h3>
            {saved && (
              <p className="hint saved-wallet">
                A wallet is saved in this browser (<code className="address">{shortAddress(saved.address)}</code>): type its
                password, or choose another file.
              </p>
            )}
            <div className="field">
              <label htmlFor={`${ids}-file`}>Wallet file (keystore JSON)</label>
              <input
                ref={fileInput}
                id={`${ids}-file`}
                type="file"
                accept=".json,application/json"
                data-testid="wallet-import"
                onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
              />
            </div>
            <div className="field">
              <label htmlFor={`${ids}-password`}>Wallet password</label>
              <input
                id={`${ids}-password`}
                type="password"
                autoComplete="current-password"
                data-testid="wallet-password"
                value={password}
                onChange={(e) => setPassword(e.currentTarget.value)}
              />
            </div>
            <div className="wallet-actions">
              <button type="submit" className="primary" disabled={busy !== ""} aria-busy={busy === "unlocking"}>
                {busy === "unlocking" ? "Unlocking…" : saved && !file ? "Unlock saved wallet" : "Unlock"}
              </button>
              {saved && !file && (
                <button type="button" className="secondary" onClick={() => void forget()} disabled={busy !== ""}>
                  Forget saved wallet
                </button>
              )}
            </div>
          </form>
          <div className="wallet-browser">
            <h3>Use a browser wallet</h3>
            {hasBrowserWallet ? (
              <button
                type="button"
                className="secondary"
                onClick={() => void connect()}
                disabled={busy !== ""}
                aria-busy={busy === "connecting"}
              >
                {busy === "connecting" ? "Connecting…" : "Connect browser wallet"}
              </button>
            ) : (
              <p className="hint">No browser wallet was found in this browser.</p>
            )}
          </div>
        </>
      )}
      <ErrorAlert message={error} />
      <div className="wallet-actions wallet-open">
        <button
          type="button"
          className="primary"
          onClick={records.openMyRecords}
          disabled={!wallet || opening}
          aria-busy={opening}
        >
          {records.phase === "signing"
            ? "Waiting for the signature…"
            : records.phase === "deriving"
              ? "Opening…"
              : "Open my records"}
        </button>
        {wallet && (
          <button type="button" className="secondary" onClick={lock}>
            Lock
          </button>
        )}
      </div>
      {records.phase === "open" && (
        <p className="hint" role="status">
          Your records are open in this tab.
        </p>
      )}
      <ErrorAlert message={records.problem} />
    </section>
  );
}
