import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { api } from "../api/client";
import { t, useI18n } from "../i18n";
import { problemDetail } from "../lib/format";
import { normalisePublicKey, publishedKey } from "../lib/openRecords";
import { outcome } from "../lib/outcome";
import { linkWallet } from "../lib/siweFlow";
import type { OpenRecords } from "../lib/useOpenRecords";
import {
  browserWalletProvider,
  connectBrowser,
  createWallet,
  currentWallet,
  derivePublicKeys,
  lockWallet,
  MIN_WALLET_PASSWORD,
  unlockKeystore,
  WalletError,
  type UnlockedWallet,
} from "../lib/wallet";
import { forgetSavedWallet, loadSavedWallet, saveWallet, type SavedWallet } from "../lib/walletStore";
import { ErrorAlert } from "./common";
import { KeystoreFields, keystoreText } from "./KeystoreFields";

type Busy = "" | "unlocking" | "connecting";

export function shortAddress(address: string): string {
  return address.length > 14 ? `${address.slice(0, 8)}…${address.slice(-6)}` : address;
}

function wordsOf(error: unknown, fallback: string): string {
  return error instanceof WalletError ? error.message : fallback;
}

/**
 * The patient's wallet: create one (a keystore kept encrypted in IndexedDB, downloadable), import
 * a keystore file, or connect a browser wallet; then publish the keys derived from it, link it
 * for signing in, and "Open my records". The private key stays in memory (src/lib/wallet.ts).
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
  useI18n(); // re-render in the language just chosen
  const [saved, setSaved] = useState<SavedWallet | null>(null);
  // The keystore file of the unlocked built-in wallet, offered for download.
  const [keystore, setKeystore] = useState<string | null>(null);
  const [created, setCreated] = useState<"" | "saved" | "unsaved">("");
  const [error, setError] = useState("");

  // A wallet that signed this person in (SIWE) is still unlocked: use it without a second password.
  useEffect(() => {
    const held = currentWallet();
    if (held && !wallet) onWallet(held);
    // Only on arrival: later changes come through onWallet.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    let live = true;
    void loadSavedWallet(ownerId).then((w) => {
      if (live) setSaved(w);
    });
    return () => {
      live = false;
    };
  }, [ownerId]);

  const unlocked = (next: UnlockedWallet, json: string | null) => {
    setKeystore(json);
    onWallet(next);
  };

  const lock = () => {
    lockWallet();
    records.close();
    setKeystore(null);
    setCreated("");
    onWallet(null);
  };

  const opening = records.phase === "signing" || records.phase === "deriving";

  return (
    <section className="card area-wallet" data-testid="wallet" aria-labelledby="wallet-heading">
      <h2 id="wallet-heading">{t("wallet.heading")}</h2>
      {wallet ? (
        <div className="wallet-unlocked">
          <p className="wallet-line">
            <span className="muted">{wallet.kind === "browser" ? t("wallet.browserConnected") : t("wallet.unlocked")}</span>{" "}
            <code className="address" data-testid="wallet-address">
              {wallet.address}
            </code>
          </p>
          <p className="hint">{t("wallet.keyStaysHere")}</p>
          {created && (
            <p className={created === "saved" ? "success" : "alert"} role={created === "saved" ? "status" : "alert"}>
              {created === "saved" ? t("wallet.create.done") : t("wallet.create.notSaved")}
            </p>
          )}
          {keystore && <DownloadWalletFile keystore={keystore} address={wallet.address} />}
          <PublishKeys recordsOpen={records.phase === "open"} />
          <LinkWallet address={wallet.address} />
        </div>
      ) : (
        <>
          <ImportWallet
            ownerId={ownerId}
            saved={saved}
            onSaved={setSaved}
            onUnlocked={unlocked}
            onForget={async () => {
              await forgetSavedWallet(ownerId);
              setSaved(null);
            }}
          />
          <BrowserWallet onConnected={(w) => unlocked(w, null)} onError={setError} />
          {!saved && (
            <CreateWallet
              ownerId={ownerId}
              onCreated={(w, json, kept) => {
                setCreated(kept ? "saved" : "unsaved");
                if (kept) setSaved({ keystore: json, address: w.address, savedAt: new Date().toISOString() });
                unlocked(w, json);
              }}
            />
          )}
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
            ? t("wallet.waitingSignature")
            : records.phase === "deriving"
              ? t("wallet.opening")
              : t("wallet.open")}
        </button>
        {wallet && (
          <button type="button" className="secondary" onClick={lock}>
            {t("wallet.lock")}
          </button>
        )}
      </div>
      {records.phase === "open" && (
        <p className="hint" role="status">
          {t("wallet.recordsOpen")}
        </p>
      )}
      <ErrorAlert message={records.problem} />
    </section>
  );
}

/** Import a keystore file (then kept in IndexedDB), or unlock the one saved in this browser. */
function ImportWallet({
  ownerId,
  saved,
  onSaved,
  onUnlocked,
  onForget,
}: {
  ownerId: string;
  saved: SavedWallet | null;
  onSaved: (wallet: SavedWallet) => void;
  onUnlocked: (wallet: UnlockedWallet, keystore: string) => void;
  onForget: () => Promise<void>;
}) {
  const ids = useId();
  const [file, setFile] = useState<File | null>(null);
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState<Busy>("");
  const [error, setError] = useState("");
  const fileInput = useRef<HTMLInputElement>(null);

  const unlock = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setError("");
    if (!password) {
      setError(t("wallet.import.typePassword"));
      return;
    }
    const fromFile = file !== null;
    setBusy("unlocking");
    try {
      const json = await keystoreText(file, saved?.keystore, t("wallet.import.chooseFile"));
      const opened = await unlockKeystore(json, password);
      setPassword("");
      if (fromFile) {
        const toSave: SavedWallet = { keystore: json, address: opened.address, savedAt: new Date().toISOString() };
        if (await saveWallet(ownerId, toSave)) onSaved(toSave);
        setFile(null);
        if (fileInput.current) fileInput.current.value = "";
      }
      onUnlocked(opened, json);
    } catch (e) {
      setError(wordsOf(e, t("wallet.error.notUnlocked")));
    } finally {
      setBusy("");
    }
  };

  return (
    <form className="wallet-form" onSubmit={(e) => void unlock(e)} aria-busy={busy === "unlocking"}>
      <h3>{t("wallet.import.heading")}</h3>
      {saved && (
        <p className="hint saved-wallet">{t("wallet.import.saved", { address: shortAddress(saved.address) })}</p>
      )}
      <KeystoreFields
        idPrefix={ids}
        fileLabel={t("wallet.import.file")}
        passwordLabel={t("wallet.import.password")}
        password={password}
        error={error}
        fileInput={fileInput}
        onFile={setFile}
        onPassword={setPassword}
        testIds
      />
      <div className="wallet-actions">
        <button type="submit" className="primary" disabled={busy !== ""} aria-busy={busy === "unlocking"}>
          {busy === "unlocking"
            ? t("wallet.import.unlocking")
            : saved && !file
              ? t("wallet.import.unlockSaved")
              : t("wallet.import.unlock")}
        </button>
        {saved && !file && (
          <button type="button" className="secondary" onClick={() => void onForget()} disabled={busy !== ""}>
            {t("wallet.import.forget")}
          </button>
        )}
      </div>
    </form>
  );
}

function BrowserWallet({
  onConnected,
  onError,
}: {
  onConnected: (wallet: UnlockedWallet) => void;
  onError: (message: string) => void;
}) {
  const [busy, setBusy] = useState(false);
  const hasBrowserWallet = browserWalletProvider() !== null;

  const connect = async () => {
    onError("");
    setBusy(true);
    try {
      onConnected(await connectBrowser());
    } catch (e) {
      onError(wordsOf(e, t("wallet.error.notConnected")));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="wallet-browser">
      <h3>{t("wallet.browser.heading")}</h3>
      {hasBrowserWallet ? (
        <button type="button" className="secondary" onClick={() => void connect()} disabled={busy} aria-busy={busy}>
          {busy ? t("wallet.browser.connecting") : t("wallet.browser.connect")}
        </button>
      ) : (
        <p className="hint">{t("wallet.browser.none")}</p>
      )}
    </div>
  );
}

/** "Create a new wallet": a fresh key sealed with a password the person chooses (keystore v3). */
function CreateWallet({
  ownerId,
  onCreated,
}: {
  ownerId: string;
  onCreated: (wallet: UnlockedWallet, keystore: string, kept: boolean) => void;
}) {
  const ids = useId();
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<{ field: "password" | "confirm" | ""; message: string } | null>(null);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    if (password.length < MIN_WALLET_PASSWORD) {
      setProblem({ field: "password", message: t("wallet.error.shortPassword", { count: MIN_WALLET_PASSWORD }) });
      return;
    }
    if (confirm !== password) {
      setProblem({ field: "confirm", message: t("wallet.create.mismatch") });
      return;
    }
    setProblem(null);
    setBusy(true);
    try {
      const made = await createWallet(password);
      const kept = await saveWallet(ownerId, {
        keystore: made.keystore,
        address: made.wallet.address,
        savedAt: new Date().toISOString(),
      });
      setPassword("");
      setConfirm("");
      onCreated(made.wallet, made.keystore, kept);
    } catch (e) {
      setProblem({ field: "", message: wordsOf(e, t("wallet.error.notCreated")) });
    } finally {
      setBusy(false);
    }
  };

  const fieldError = (field: "password" | "confirm") =>
    problem?.field === field ? (
      <p id={`${ids}-${field}-error`} role="alert" className="alert field-alert">
        {problem.message}
      </p>
    ) : null;

  return (
    <div className="wallet-create">
      <h3>{t("wallet.create.heading")}</h3>
      <p className="hint">{t("wallet.create.intro")}</p>
      {!open ? (
        <button type="button" className="secondary" aria-expanded={false} onClick={() => setOpen(true)}>
          {t("wallet.create.open")}
        </button>
      ) : (
        <form className="wallet-form" onSubmit={(e) => void submit(e)} aria-busy={busy} noValidate>
          <div className="field">
            <label htmlFor={`${ids}-password`}>{t("wallet.create.password")}</label>
            <input
              id={`${ids}-password`}
              type="password"
              autoComplete="new-password"
              value={password}
              aria-invalid={problem?.field === "password" ? true : undefined}
              aria-describedby={`${ids}-password-hint${problem?.field === "password" ? ` ${ids}-password-error` : ""}`}
              onChange={(e) => setPassword(e.currentTarget.value)}
            />
            <p id={`${ids}-password-hint`} className="hint">
              {t("wallet.create.passwordHint", { count: MIN_WALLET_PASSWORD })}
            </p>
            {fieldError("password")}
          </div>
          <div className="field">
            <label htmlFor={`${ids}-confirm`}>{t("wallet.create.confirm")}</label>
            <input
              id={`${ids}-confirm`}
              type="password"
              autoComplete="new-password"
              value={confirm}
              aria-invalid={problem?.field === "confirm" ? true : undefined}
              aria-describedby={problem?.field === "confirm" ? `${ids}-confirm-error` : undefined}
              onChange={(e) => setConfirm(e.currentTarget.value)}
            />
            {fieldError("confirm")}
          </div>
          {problem?.field === "" && <ErrorAlert message={problem.message} />}
          <div className="wallet-actions">
            <button type="submit" className="primary" disabled={busy} aria-busy={busy}>
              {busy ? t("wallet.create.creating") : t("wallet.create.submit")}
            </button>
            <button type="button" className="secondary" disabled={busy} onClick={() => setOpen(false)}>
              {t("wallet.create.cancel")}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}

/** The keystore file, to keep a copy outside this browser or import it into MetaMask. */
function DownloadWalletFile({ keystore, address }: { keystore: string; address: string }) {
  const download = () => {
    const url = URL.createObjectURL(new Blob([keystore], { type: "application/json" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = `ohms-wallet-${address.toLowerCase()}.json`;
    document.body.append(link);
    link.click();
    link.remove();
    // The click has handed the file to the browser's download; the URL is not needed after.
    setTimeout(() => URL.revokeObjectURL(url), 0);
  };
  return (
    <div className="wallet-actions">
      <button type="button" className="secondary" onClick={download}>
        {t("wallet.download")}
      </button>
    </div>
  );
}

/** "Publish my keys": the Umbral public keys this wallet derives, sent with PUT /me/keys. */
function PublishKeys({ recordsOpen }: { recordsOpen: boolean }) {
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState("");
  const [error, setError] = useState("");

  const publish = async () => {
    setBusy(true);
    setError("");
    setStatus("");
    try {
      const derived = await derivePublicKeys();
      const current = await publishedKey();
      if (current.key !== null) {
        if (current.key === normalisePublicKey(derived.umbral_public_key)) setStatus(t("wallet.keys.alreadyPublished"));
        else setError(t("wallet.keys.otherWallet"));
        return;
      }
      if (!current.unpublished) {
        setError(current.message);
        return;
      }
      const put = await outcome(api.PUT("/api/v1/me/keys", { body: derived }));
      if (put.ok) setStatus(t("wallet.keys.published"));
      else setError(problemDetail(put.problem, put.status));
    } catch (e) {
      setError(wordsOf(e, t("wallet.error.notSigned")));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="wallet-step" data-testid="wallet-keys">
      <h3>{t("wallet.keys.heading")}</h3>
      {recordsOpen ? (
        // The records opened with keys derived from this wallet: those are the published ones.
        <p className="success">{t("wallet.keys.alreadyPublished")}</p>
      ) : (
        <>
          <p className="hint">{t("wallet.keys.intro")}</p>
          <div className="wallet-actions">
            <button type="button" className="secondary" onClick={() => void publish()} disabled={busy} aria-busy={busy}>
              {busy ? t("wallet.keys.publishing") : t("wallet.keys.publish")}
            </button>
          </div>
        </>
      )}
      {status && !recordsOpen && (
        <p className="success" role="status">
          {status}
        </p>
      )}
      <ErrorAlert message={error} />
    </div>
  );
}

/** Link the wallet to the account (a SIWE proof, POST /me/wallet), so it can sign in. */
function LinkWallet({ address }: { address: string }) {
  const [linked, setLinked] = useState<string | null | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  useEffect(() => {
    let live = true;
    void outcome(api.GET("/api/v1/me")).then((me) => {
      if (live && me.ok) setLinked(me.value.wallet_address ?? null);
    });
    return () => {
      live = false;
    };
  }, []);

  const link = async () => {
    setBusy(true);
    setError("");
    const result = await linkWallet();
    setBusy(false);
    if (result.ok) setLinked(result.address);
    else setError(result.message);
  };

  const isThis = typeof linked === "string" && linked.toLowerCase() === address.toLowerCase();
  return (
    <div className="wallet-step" data-testid="wallet-link">
      <h3>{t("wallet.link.heading")}</h3>
      {isThis ? (
        <p className="success" role="status">
          {t("wallet.link.linked")}
        </p>
      ) : (
        <>
          <p className="hint">
            {linked ? t("wallet.link.otherLinked", { address: shortAddress(linked) }) : t("wallet.link.intro")}
          </p>
          <div className="wallet-actions">
            <button
              type="button"
              className="secondary"
              onClick={() => void link()}
              disabled={busy || linked === undefined}
              aria-busy={busy}
            >
              {busy ? t("wallet.link.linking") : t("wallet.link.submit")}
            </button>
          </div>
        </>
      )}
      <ErrorAlert message={error} />
    </div>
  );
}
