// Small pieces shared by the prescribing, pharmacy and vendor screens: a labelled field with
// its hint and its error beside it, and a medication chosen from the vendors' catalogue or
// typed as an RxNorm code and name.

import { useId, useState, type ReactNode } from "react";
import { api } from "../api/client";
import type { components } from "../api/schema";
import { t } from "../i18n";
import { problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";

export type Product = components["schemas"]["ProductOut"];
export type Medication = { code: string; display: string };

export function RxField({
  label,
  value,
  onChange,
  type = "text",
  hint,
  error,
  inputMode,
  errorId,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  type?: "text" | "date" | "search";
  hint?: string;
  error?: string;
  inputMode?: "numeric" | "decimal" | undefined;
  /** The id of an error shown elsewhere that explains this field too. */
  errorId?: string;
}) {
  const id = useId();
  const described = [hint ? `${id}-hint` : "", error ? `${id}-error` : "", errorId ?? ""].filter(Boolean).join(" ");
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type={type}
        inputMode={inputMode}
        autoComplete="off"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={described || undefined}
      />
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="alert" role="alert" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** A status line that is always in the page (so screen readers announce its changes). */
export function RxStatus({ children }: { children: ReactNode }) {
  return (
    <p className="success" role="status">
      {children}
    </p>
  );
}

/** Search the catalogue and pick a product, or type the RxNorm code and name. */
export function MedicationFields({
  value,
  onChange,
  onProduct,
}: {
  value: Medication;
  onChange: (m: Medication) => void;
  onProduct?: (p: Product) => void;
}) {
  const [q, setQ] = useState("");
  const [found, setFound] = useState<Product[] | null>(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function search() {
    if (!q.trim()) return;
    setBusy(true);
    setError("");
    const result = await outcome(
      api.GET("/api/v1/catalog/products", { params: { query: { q: q.trim(), available: true, limit: 10 } } }),
    );
    setBusy(false);
    if (result.ok) setFound(result.value);
    else setError(problemDetail(result.problem, result.status));
  }

  return (
    <fieldset className="rx-medication">
      <legend>{t("pharmacy.rx.display")}</legend>
      <div className="rx-search">
        <RxField label={t("pharmacy.rx.search")} type="search" value={q} onChange={setQ} />
        <button type="button" className="secondary" onClick={() => void search()} disabled={busy} aria-busy={busy}>
          {t("pharmacy.rx.searchButton")}
        </button>
      </div>
      {error && (
        <p className="alert" role="alert">
          {error}
        </p>
      )}
      {found && found.length === 0 && <p className="empty">{t("pharmacy.rx.noProducts")}</p>}
      {found && found.length > 0 && (
        <ul className="rx-products">
          {found.map((p) => (
            <li key={p.id}>
              <button
                type="button"
                className="secondary"
                onClick={() => {
                  onChange({ code: p.code.code, display: p.code.display });
                  onProduct?.(p);
                  setFound(null);
                }}
              >
                {t("pharmacy.rx.pick", { name: `${p.name} (${p.vendor_name})` })}
              </button>
            </li>
          ))}
        </ul>
      )}
      <RxField
        label={t("pharmacy.rx.code")}
        inputMode="numeric"
        value={value.code}
        hint={t("pharmacy.rx.codeHint")}
        onChange={(code) => onChange({ ...value, code })}
      />
      <RxField label={t("pharmacy.rx.name")} value={value.display} onChange={(display) => onChange({ ...value, display })} />
    </fieldset>
  );
}
