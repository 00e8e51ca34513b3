// A radiologist (or lab staff) uploads a DICOM study for the patient: the files or a ZIP of
// them, with the bytes sent as a progress bar, then the server's phases in words until the
// study is filed (or refused, with the reason).

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { t } from "../i18n";
import { problemDetail } from "../lib/format";
import {
  bytesInWords,
  newUploadId,
  percentOf,
  stepInWords,
  stepStateInWords,
  uploadableFiles,
  uploadSteps,
  type UploadProgress,
} from "../lib/imaging";
import type { StudyUploaded } from "../lib/imagingStudies";
import { uploadRow, uploadStudy, type SendProgress } from "../lib/uploadStudy";

/** How often the server's phase is asked while it works. */
const POLL_MS = 400;

export function StudyUpload({
  uhid,
  order = null,
  onUploaded,
}: {
  uhid: string;
  /** The imaging order the study answers (from the work list): filed against it. */
  order?: string | null;
  onUploaded: (study: StudyUploaded) => void;
}) {
  const id = useId();
  const fileInput = useRef<HTMLInputElement>(null);
  const [files, setFiles] = useState<File[]>([]);
  const [sending, setSending] = useState(false);
  const [bytes, setBytes] = useState<SendProgress | null>(null);
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [error, setError] = useState("");
  // Words made at render time, so a change of language rewords them.
  const [done, setDone] = useState<(() => string) | null>(null);
  const abort = useRef<AbortController | null>(null);

  // Leaving the screen stops the upload and the polling.
  useEffect(() => () => abort.current?.abort(), []);

  async function upload(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (sending) return;
    const chosen = uploadableFiles(files);
    if (chosen.length === 0) {
      setError(t("results.upload.noFiles"));
      fileInput.current?.focus();
      return;
    }
    const controller = new AbortController();
    abort.current = controller;
    const uploadId = newUploadId();
    const total = chosen.reduce((sum, f) => sum + f.size, 0);
    setSending(true);
    setError("");
    setDone(null);
    setBytes({ loaded: 0, total });
    setProgress({ sent: false, row: null, outcome: null });

    let polling: ReturnType<typeof setTimeout> | undefined;
    let finished = false;
    let known = false; // the server has its progress row: ask for it alone from now on
    const poll = async () => {
      if (finished || controller.signal.aborted) return;
      const row = await uploadRow(uploadId, known);
      if (finished || controller.signal.aborted) return;
      if (row) {
        known = true;
        setProgress((p) => (p && !p.outcome ? { ...p, row } : p));
      }
      polling = setTimeout(() => void poll(), POLL_MS);
    };

    const result = await uploadStudy(
      uhid,
      order,
      chosen,
      uploadId,
      (p) => setBytes(p),
      () => {
        setBytes((b) => (b ? { loaded: b.total, total: b.total } : b));
        setProgress((p) => (p ? { ...p, sent: true } : p));
        polling = setTimeout(() => void poll(), POLL_MS);
      },
      controller.signal,
    );
    finished = true;
    clearTimeout(polling);
    if (controller.signal.aborted) return;
    setSending(false);
    if (result.ok) {
      setProgress((p) => ({ sent: true, row: p?.row ?? null, outcome: "completed" }));
      const images = result.value.instance_count;
      const series = result.value.series_count;
      setDone(() => () => t("results.upload.done", { images, series }));
      setFiles([]);
      if (fileInput.current) fileInput.current.value = "";
      onUploaded(result.value);
    } else {
      setProgress((p) => ({ sent: p?.sent ?? false, row: p?.row ?? null, outcome: "failed" }));
      setError(problemDetail(result.problem, result.status));
    }
  }

  const percent = bytes ? percentOf(bytes.loaded, bytes.total) : 0;
  const steps = progress ? uploadSteps(progress) : [];
  const chosenBytes = files.reduce((sum, f) => sum + f.size, 0);

  return (
    <section className="card" data-testid="study-upload" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{t("results.upload.heading")}</h2>
      <p className="muted">{t("results.upload.intro")}</p>
      {order && (
        <p className="note" role="note">
          {t("results.upload.forOrder")}
        </p>
      )}
      <form className="write-form" onSubmit={(e) => void upload(e)} noValidate>
        <div className="field">
          <label htmlFor={`${id}-files`}>{t("results.upload.files")}</label>
          <input
            ref={fileInput}
            id={`${id}-files`}
            name="files"
            type="file"
            multiple
            accept=".dcm,.dicom,.zip,application/dicom,application/zip"
            aria-describedby={`${id}-files-hint`}
            aria-invalid={error && files.length === 0 ? true : undefined}
            disabled={sending}
            onChange={(e) => {
              setFiles(Array.from(e.target.files ?? []));
              setError("");
              setDone(null);
            }}
          />
          <p className="hint" id={`${id}-files-hint`}>
            {files.length > 0
              ? t("results.upload.chosen", { count: files.length, size: bytesInWords(chosenBytes) })
              : t("results.upload.filesHint")}
          </p>
        </div>
        <button type="submit" className="primary" disabled={sending} aria-busy={sending}>
          {sending ? t("results.upload.uploading") : t("results.upload.button")}
        </button>
      </form>
      {bytes && (
        <div className="results-progress">
          <label htmlFor={`${id}-bar`}>{t("results.upload.sent")}</label>
          <progress
            id={`${id}-bar`}
            max={100}
            value={percent}
            aria-valuetext={t("results.upload.sentOf", {
              percent,
              done: bytesInWords(bytes.loaded),
              total: bytesInWords(bytes.total),
            })}
          />
          <p className="hint">
            {t("results.upload.sentOf", { percent, done: bytesInWords(bytes.loaded), total: bytesInWords(bytes.total) })}
          </p>
        </div>
      )}
      {steps.length > 0 && (
        <ol className="results-steps" aria-label={t("results.upload.steps")} data-testid="upload-steps">
          {steps.map(({ step, state }) => (
            <li key={step} className={`results-step results-step-${state}`}>
              <span className="results-step-mark" aria-hidden="true">
                {state === "done" ? "✓" : state === "failed" ? "✕" : state === "current" ? "…" : "·"}
              </span>
              <span>{stepInWords(step)}</span>
              <span className="results-step-state">{stepStateInWords(state)}</span>
            </li>
          ))}
        </ol>
      )}
      {error && (
        <p role="alert" className="alert">
          {error}
        </p>
      )}
      <p role="status" className="write-status">
        {done?.()}
      </p>
    </section>
  );
}
