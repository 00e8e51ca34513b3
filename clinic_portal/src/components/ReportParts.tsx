// Small pieces the finance screens share (price list, claims, reports): a labelled field with
// its hint and its error beside it, and saving a file the API answered through a Blob URL.

import { useId, type ReactNode } from "react";

export function FinField({
  label,
  value,
  onChange,
  type = "text",
  hint,
  error,
  inputMode,
  required,
  children,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  type?: "text" | "date" | "search";
  hint?: string | undefined;
  error?: string | undefined;
  inputMode?: "decimal" | "numeric" | undefined;
  required?: boolean | undefined;
  /** A <select>'s options: the field is a select when given. */
  children?: ReactNode;
}) {
  const id = useId();
  const described = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  const common = {
    id,
    value,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": described,
    required,
  } as const;
  return (
    <div className="field fin-field">
      <label htmlFor={id}>{label}</label>
      {children ? (
        <select {...common} onChange={(e) => onChange(e.target.value)}>
          {children}
        </select>
      ) : (
        <input {...common} type={type} inputMode={inputMode} autoComplete="off" onChange={(e) => onChange(e.target.value)} />
      )}
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

/** Save `blob` as `filename` (a download through a Blob URL; nothing is rendered). */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.rel = "noopener";
  document.body.append(link);
  link.click();
  link.remove();
  // After the click has been handled: the browser has started the download by then.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The file name of a Content-Disposition header, or `fallback`. */
export function attachmentName(disposition: string | null, fallback: string): string {
  const m = disposition ? /filename="?([^";]+)"?/i.exec(disposition) : null;
  return m?.[1] ?? fallback;
}
