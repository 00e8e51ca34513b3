// What the performing organisation does with one order: the specimen's next step, a
// rejection with its reason code, and the result filed against the order (a lab value, or a
// radiology report once the study is uploaded). The service files it as the patient's
// encrypted record based on the order, and the order completes.

import { useId, useRef, useState, type FormEvent } from "react";
import { api } from "../api/client";
import { t } from "../i18n";
import { buildImagingReport, EMPTY_REPORT, type ReportInput } from "../lib/fhirResults";
import { formatUhid, problemDetail, problemFieldErrors } from "../lib/format";
import {
  buildOrderResult,
  canReject,
  canResult,
  emptyResultInput,
  knownTest,
  nextSpecimenSteps,
  REJECTIONS,
  type OrderOut,
  type ResultInput,
  type SpecimenRejection,
  type SpecimenStep,
} from "../lib/orders";
import { outcome } from "../lib/outcome";
import { orderTitle } from "./OrderItem";
import { TroubleAlert } from "./common";

type Trouble = { lead: string; lines: string[]; fields: string[] };

function troubleOf(errors: { field: string; message: string }[]): Trouble {
  const lines = errors.map((e) => e.message);
  return {
    lead: lines.length === 1 ? (lines[0] ?? "") : t("orders.checkDetails"),
    lines: lines.length === 1 ? [] : lines,
    fields: errors.map((e) => e.field),
  };
}

export function OrderWork({ order, onChanged }: { order: OrderOut; onChanged: (order: OrderOut) => void }) {
  const [filed, setFiled] = useState(false);
  if (order.status === "completed") {
    return (
      <p className="success" role={filed ? "status" : undefined}>
        {t("orders.work.completed")}
      </p>
    );
  }
  if (order.status === "revoked") return <p className="muted">{t("orders.work.revoked")}</p>;
  const done = (changed: OrderOut) => {
    if (changed.status === "completed") setFiled(true);
    onChanged(changed);
  };
  return (
    <div className="ord-work">
      {order.category === "lab" ? <SpecimenSteps order={order} onChanged={done} /> : <ImagingUpload order={order} />}
      {canResult(order) &&
        (order.category === "lab" ? <LabResult order={order} onChanged={done} /> : <ImagingReport order={order} onChanged={done} />)}
      {order.category === "lab" && !canResult(order) && <p className="hint">{t("orders.work.resultAfterReceipt")}</p>}
    </div>
  );
}

function SpecimenSteps({ order, onChanged }: { order: OrderOut; onChanged: (order: OrderOut) => void }) {
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [reason, setReason] = useState<SpecimenRejection | "">("");

  async function step(status: SpecimenStep | "rejected") {
    if (status === "rejected" && !reason) {
      setError(t("orders.work.rejectReasonMissing"));
      document.getElementById(`${id}-reason`)?.focus();
      return;
    }
    setBusy(true);
    setError("");
    const result = await outcome(
      api.POST("/api/v1/orders/{order_id}/specimen", {
        params: { path: { order_id: order.id } },
        body: status === "rejected" ? { status, reason: reason || null } : { status },
      }),
    );
    setBusy(false);
    if (result.ok) onChanged(result.value);
    else setError(problemDetail(result.problem, result.status));
  }

  const steps = nextSpecimenSteps(order);
  return (
    <div className="ord-steps">
      {steps.length > 0 && (
        <div className="ord-actions" role="group" aria-label={t("orders.work.stepsLabel")}>
          {steps.map((s) => (
            <button key={s} type="button" className="secondary" disabled={busy} onClick={() => void step(s)}>
              {t(`orders.work.mark.${s}`)}
            </button>
          ))}
        </div>
      )}
      {canReject(order) && (
        <details className="ord-reject">
          <summary>{t("orders.work.rejectSummary")}</summary>
          <div className="field">
            <label htmlFor={`${id}-reason`}>{t("orders.work.rejectReason")}</label>
            <select
              id={`${id}-reason`}
              value={reason}
              aria-invalid={error && !reason ? true : undefined}
              aria-describedby={error ? `${id}-error` : undefined}
              onChange={(e) => setReason(e.target.value as SpecimenRejection | "")}
            >
              <option value="">{t("orders.work.chooseReason")}</option>
              {REJECTIONS.map((r) => (
                <option key={r} value={r}>
                  {t(`orders.reject.${r}`)}
                </option>
              ))}
            </select>
          </div>
          <p className="hint">{t("orders.work.rejectHint")}</p>
          <button type="button" className="danger" disabled={busy} onClick={() => void step("rejected")}>
            {t("orders.work.reject")}
          </button>
        </details>
      )}
      {error && (
        <p className="alert" role="alert" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

function LabResult({ order, onChanged }: { order: OrderOut; onChanged: (order: OrderOut) => void }) {
  const id = useId();
  const [input, setInput] = useState<ResultInput>(() => emptyResultInput(order, new Date()));
  const [trouble, setTrouble] = useState<Trouble | null>(null);
  const [sending, setSending] = useState(false);
  const sendingRef = useRef(false);
  const test = knownTest(order);
  const alertId = `${id}-alert`;
  const control = (field: string) => {
    const invalid = trouble?.fields.includes(field) ?? false;
    return { id: `${id}-${field}`, "aria-invalid": invalid || undefined, ...(invalid ? { "aria-describedby": alertId } : {}) };
  };

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (sendingRef.current) return;
    const built = buildOrderResult(order, input, new Date());
    if (!built.ok) {
      setTrouble(troubleOf(built.errors));
      const first = built.errors[0];
      if (first) document.getElementById(`${id}-${first.field}`)?.focus();
      return;
    }
    sendingRef.current = true;
    setSending(true);
    setTrouble(null);
    const result = await outcome(
      api.POST("/api/v1/orders/{order_id}/results", { params: { path: { order_id: order.id } }, body: { resource: built.resource } }),
    );
    sendingRef.current = false;
    setSending(false);
    if (!result.ok) {
      setTrouble({ lead: problemDetail(result.problem, result.status), lines: problemFieldErrors(result.problem), fields: [] });
      return;
    }
    onChanged(result.value.order);
  }

  const unit = test ? test.unit.shown : input.unit.trim();
  return (
    <form className="write-form ord-result" onSubmit={(e) => void save(e)} noValidate aria-labelledby={`${id}-heading`}>
      <h4 id={`${id}-heading`}>{t("orders.result.heading", { test: orderTitle(order) })}</h4>
      <div className="write-row">
        <div className="field">
          <label htmlFor={`${id}-value`}>{unit ? t("results.lab.valueIn", { unit }) : t("results.lab.value")}</label>
          <input
            {...control("value")}
            type="text"
            inputMode="decimal"
            autoComplete="off"
            value={input.value}
            onChange={(e) => setInput({ ...input, value: e.target.value })}
          />
        </div>
        {!test && (
          <div className="field">
            <label htmlFor={`${id}-unit`}>{t("orders.result.unit")}</label>
            <input
              {...control("unit")}
              autoComplete="off"
              value={input.unit}
              onChange={(e) => setInput({ ...input, unit: e.target.value })}
            />
          </div>
        )}
        <div className="field">
          <label htmlFor={`${id}-date`}>{t("results.lab.date")}</label>
          <input {...control("date")} type="date" value={input.date} onChange={(e) => setInput({ ...input, date: e.target.value })} />
        </div>
      </div>
      {test && (
        <p className="hint">
          {t("orders.result.range", { low: test.range.low, high: test.range.high, unit: test.unit.shown })}
        </p>
      )}
      <button type="submit" className="primary" disabled={sending} aria-busy={sending}>
        {t("orders.result.save")}
      </button>
      <TroubleAlert trouble={trouble} id={alertId} />
    </form>
  );
}

function ImagingUpload({ order }: { order: OrderOut }) {
  return (
    <p className="ord-upload">
      {t("orders.work.uploadIntro", { uhid: formatUhid(order.patient) })}{" "}
      <a href={`#/results?uhid=${encodeURIComponent(order.patient)}&order=${encodeURIComponent(order.id)}`}>{t("orders.work.uploadLink")}</a>
    </p>
  );
}

function ImagingReport({ order, onChanged }: { order: OrderOut; onChanged: (order: OrderOut) => void }) {
  const id = useId();
  const [input, setInput] = useState<ReportInput>(EMPTY_REPORT);
  const [trouble, setTrouble] = useState<Trouble | null>(null);
  const [sending, setSending] = useState(false);
  const alertId = `${id}-alert`;
  const control = (field: string) => {
    const invalid = trouble?.fields.includes(field) ?? false;
    return { id: `${id}-${field}`, "aria-invalid": invalid || undefined, ...(invalid ? { "aria-describedby": alertId } : {}) };
  };

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (sending) return;
    const built = buildImagingReport(order.patient, input, new Date());
    if (!built.ok) {
      setTrouble(troubleOf(built.errors));
      const first = built.errors[0];
      if (first) document.getElementById(`${id}-${first.field}`)?.focus();
      return;
    }
    // Reported as ordered: the report's code is the procedure the order names.
    built.resource.code = { coding: [{ ...order.code }], text: order.code.display };
    setSending(true);
    setTrouble(null);
    const result = await outcome(
      api.POST("/api/v1/orders/{order_id}/results", { params: { path: { order_id: order.id } }, body: { resource: built.resource } }),
    );
    setSending(false);
    if (!result.ok) {
      setTrouble({ lead: problemDetail(result.problem, result.status), lines: problemFieldErrors(result.problem), fields: [] });
      return;
    }
    onChanged(result.value.order);
  }

  return (
    <form className="write-form ord-result" onSubmit={(e) => void save(e)} noValidate aria-labelledby={`${id}-heading`}>
      <h4 id={`${id}-heading`}>{t("orders.report.heading", { test: orderTitle(order) })}</h4>
      <div className="field">
        <label htmlFor={`${id}-findings`}>{t("orders.report.findings")}</label>
        <textarea {...control("findings")} rows={3} value={input.findings} onChange={(e) => setInput({ ...input, findings: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-conclusion`}>{t("orders.report.conclusion")}</label>
        <textarea
          {...control("conclusion")}
          rows={2}
          value={input.conclusion}
          onChange={(e) => setInput({ ...input, conclusion: e.target.value })}
        />
      </div>
      <button type="submit" className="primary" disabled={sending} aria-busy={sending}>
        {t("orders.report.save")}
      </button>
      <TroubleAlert trouble={trouble} id={alertId} />
    </form>
  );
}
