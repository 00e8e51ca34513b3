// The wallet file and its password, as every place that unlocks a keystore asks for them (the
// health screen's wallet, signing in with a wallet, signing a grant where she books): one set
// of fields, labels and error placement, so they read and behave alike.

import type { RefObject } from "react";
import { t } from "../i18n";
import { WalletError } from "../lib/wallet";

/** A keystore file is a few hundred bytes; anything larger is not one. */
export const MAX_KEYSTORE_BYTES = 64 * 1024;

/** The keystore JSON to unlock: the chosen file's, else the saved one's; WalletError (in
 * words) when there is none or the file is too large. */
export async function keystoreText(file: File | null, saved: string | undefined, noneChosen: string): Promise<string> {
  if (file) {
    if (file.size > MAX_KEYSTORE_BYTES) throw new WalletError(t("wallet.import.tooLarge"));
    return file.text();
  }
  if (!saved) throw new WalletError(noneChosen);
  return saved;
}

export function KeystoreFields({
  idPrefix,
  fileLabel,
  passwordLabel,
  password,
  error,
  fileInput,
  onFile,
  onPassword,
  testIds = false,
}: {
  idPrefix: string;
  fileLabel: string;
  passwordLabel: string;
  password: string;
  error: string;
  fileInput?: RefObject<HTMLInputElement | null>;
  onFile: (file: File | null) => void;
  onPassword: (password: string) => void;
  /** The health screen's fields carry the test ids its browser tests use. */
  testIds?: boolean;
}) {
  return (
    <>
      <div className="field">
        <label htmlFor={`${idPrefix}-file`}>{fileLabel}</label>
        <input
          ref={fileInput}
          id={`${idPrefix}-file`}
          type="file"
          accept=".json,application/json"
          data-testid={testIds ? "wallet-import" : undefined}
          onChange={(e) => onFile(e.currentTarget.files?.[0] ?? null)}
        />
      </div>
      <div className="field">
        <label htmlFor={`${idPrefix}-password`}>{passwordLabel}</label>
        <input
          id={`${idPrefix}-password`}
          type="password"
          autoComplete="current-password"
          data-testid={testIds ? "wallet-password" : undefined}
          value={password}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${idPrefix}-error` : undefined}
          onChange={(e) => onPassword(e.currentTarget.value)}
        />
      </div>
      {error && (
        <p id={`${idPrefix}-error`} role="alert" className="alert">
          {error}
        </p>
      )}
    </>
  );
}
