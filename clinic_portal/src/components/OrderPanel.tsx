// "Order a test" inside an open encounter: a lab test or imaging procedure from a short LOINC
// pick-list (or any code typed in), at a lab or radiology centre, with priority and reason;
// below it, the orders placed in this encounter with their status.

import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from "react";
import { api } from "../api/client";
import { t } from "../i18n";
import { problemDetail, problemFieldErrors } from "../lib/format";
import { CODE_SYSTEMS, codesOf, type OrderCategory } from "../lib/orderCodes";
import {
  buildOrder,
  emptyOrderInput,
  OTHER_CODE,
  PERFORMER_KINDS,
  PRIORITIES,
  REASON_MAX,
  type OrderField,
  type OrderInput,
  type OrderOut,
} from "../lib/orders";
import { outcome } from "../lib/outcome";
import { namesOf, useDirectoryEntries } from "../lib/useDirectory";
import { ErrorAlert, Loading, TroubleAlert } from "./common";
import { OrderItem, orderTitle } from "./OrderItem";

type Trouble = { lead: string; lines: string[]; fields: OrderField[] };

export function OrderPanel({ uhid, encounterId }: { uhid: string; encounterId: string }) {
  const id = useId();
  const directory = useDirectoryEntries();
  const names = useMemo(() => namesOf(directory.entries), [directory.entries]);
  const [input, setInput] = useState<OrderInput>(() => emptyOrderInput("lab"));
  const [sending, setSending] = useState(false);
  const sendingRef = useRef(false);
  const [trouble, setTrouble] = useState<Trouble | null>(null);
  const [placed, setPlaced] = useState<(() => string) | null>(null);
  const [orders, setOrders] = useState<OrderOut[] | null>(null);
  const [listError, setListError] = useState("");

  // Bumped after an order is placed: the list is asked for again.
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    void outcome(api.GET("/api/v1/orders", { params: { query: { limit: 200 } } })).then((result) => {
      if (!live) return;
      if (result.ok) {
        setOrders(result.value.filter((o) => o.encounter === encounterId));
        setListError("");
      } else setListError(problemDetail(result.problem, result.status));
    });
    return () => {
      live = false;
    };
  }, [encounterId, round]);

  const performers = directory.entries.filter((org) => PERFORMER_KINDS[input.category].includes(org.kind));
  const fieldId = (field: OrderField) => `${id}-${field}`;
  const alertId = `${id}-alert`;
  const control = (field: OrderField, hint?: string) => {
    const invalid = trouble?.fields.includes(field) ?? false;
    const describedBy = [hint ?? "", invalid ? alertId : ""].filter(Boolean).join(" ");
    return {
      id: fieldId(field),
      "aria-invalid": invalid || undefined,
      ...(describedBy ? { "aria-describedby": describedBy } : {}),
    };
  };

  function chooseCategory(category: OrderCategory) {
    // Another category has other performers and codes: those chosen no longer fit.
    setInput({ ...emptyOrderInput(category), priority: input.priority, reason: input.reason });
    setTrouble(null);
  }

  async function place(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (sendingRef.current) return;
    const built = buildOrder(input, uhid, encounterId);
    if (!built.ok) {
      const lines = built.errors.map((e) => e.message);
      setTrouble({
        lead: lines.length === 1 ? (lines[0] ?? "") : t("orders.checkDetails"),
        lines: lines.length === 1 ? [] : lines,
        fields: built.errors.map((e) => e.field),
      });
      setPlaced(null);
      const first = built.errors[0];
      if (first) document.getElementById(fieldId(first.field))?.focus();
      return;
    }
    sendingRef.current = true;
    setSending(true);
    setTrouble(null);
    const result = await outcome(api.POST("/api/v1/orders", { body: built.body }));
    sendingRef.current = false;
    setSending(false);
    if (!result.ok) {
      setTrouble({ lead: problemDetail(result.problem, result.status), lines: problemFieldErrors(result.problem), fields: [] });
      setPlaced(null);
      return;
    }
    const what = orderTitle({ code: built.body.code });
    const where = names.get(built.body.performer) ?? "";
    setPlaced(() => () => t("orders.placed", { test: what, performer: where }));
    setInput({ ...emptyOrderInput(input.category), performer: input.performer });
    setRound((n) => n + 1);
  }

  const other = input.choice === OTHER_CODE;
  return (
    <section className="card ord-panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{t("orders.panel.heading")}</h2>
      <p className="muted">{t("orders.panel.intro")}</p>
      <form className="write-form" onSubmit={(e) => void place(e)} noValidate>
        <fieldset className="write-fields">
          <legend>{t("orders.categoryLegend")}</legend>
          <div className="ord-choices">
            {(["lab", "imaging"] as const).map((category) => (
              <label key={category} className="ord-choice">
                <input
                  type="radio"
                  name={`${id}-category`}
                  value={category}
                  checked={input.category === category}
                  onChange={() => chooseCategory(category)}
                />
                {t(`orders.category.${category}`)}
              </label>
            ))}
          </div>
        </fieldset>
        <div className="field">
          <label htmlFor={fieldId("performer")}>{t(`orders.performerFor.${input.category}`)}</label>
          {directory.status === "loading" ? (
            <Loading what={t("orders.performers")} />
          ) : (
            <select
              {...control("performer")}
              value={input.performer}
              onChange={(e) => setInput({ ...input, performer: e.target.value })}
            >
              <option value="">{t("orders.choosePerformer")}</option>
              {performers.map((org) => (
                <option key={org.id} value={org.id}>
                  {t("orders.performerOption", { name: org.name, kind: t(`orders.kind.${org.kind === "lab" || org.kind === "radiology" || org.kind === "hospital" ? org.kind : "other"}`) })}
                </option>
              ))}
            </select>
          )}
          <ErrorAlert message={directory.error} />
        </div>
        <div className="field">
          <label htmlFor={fieldId("code")}>{t("orders.test")}</label>
          <select {...control("code")} value={input.choice} onChange={(e) => setInput({ ...input, choice: e.target.value })}>
            <option value="">{t("orders.chooseTest")}</option>
            {codesOf(input.category).map((code) => (
              <option key={code.id} value={code.id}>
                {t("orders.testOption", { name: t(code.name), code: code.code })}
              </option>
            ))}
            <option value={OTHER_CODE}>{t("orders.otherCode")}</option>
          </select>
        </div>
        {other && (
          <fieldset className="write-fields nested">
            <legend>{t("orders.otherLegend")}</legend>
            <div className="field">
              <label htmlFor={fieldId("system")}>{t("orders.system")}</label>
              <select {...control("system")} value={input.system} onChange={(e) => setInput({ ...input, system: e.target.value })}>
                {CODE_SYSTEMS[input.category].map((system) => (
                  <option key={system} value={system}>
                    {system}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor={fieldId("codeValue")}>{t("orders.codeField")}</label>
              <input
                {...control("codeValue", `${id}-code-hint`)}
                autoComplete="off"
                value={input.code}
                onChange={(e) => setInput({ ...input, code: e.target.value })}
              />
              <p className="hint" id={`${id}-code-hint`}>
                {t("orders.codeHint")}
              </p>
            </div>
            <div className="field">
              <label htmlFor={fieldId("display")}>{t("orders.display")}</label>
              <input
                {...control("display")}
                autoComplete="off"
                value={input.display}
                onChange={(e) => setInput({ ...input, display: e.target.value })}
              />
            </div>
          </fieldset>
        )}
        <fieldset className="write-fields">
          <legend>{t("orders.priority")}</legend>
          <div className="ord-choices">
            {PRIORITIES.map((priority) => (
              <label key={priority} className="ord-choice">
                <input
                  type="radio"
                  name={`${id}-priority`}
                  value={priority}
                  checked={input.priority === priority}
                  onChange={() => setInput({ ...input, priority })}
                />
                {t(`orders.priority.${priority}`)}
              </label>
            ))}
          </div>
        </fieldset>
        <div className="field">
          <label htmlFor={fieldId("reason")}>{t("orders.reason")}</label>
          <textarea
            {...control("reason", `${id}-reason-hint`)}
            rows={3}
            maxLength={REASON_MAX}
            value={input.reason}
            onChange={(e) => setInput({ ...input, reason: e.target.value })}
          />
          <p className="hint" id={`${id}-reason-hint`}>
            {t("orders.reasonHint")}
          </p>
        </div>
        <button type="submit" className="primary" disabled={sending} aria-busy={sending}>
          {t("orders.place")}
        </button>
      </form>
      <TroubleAlert trouble={trouble} id={alertId} />
      {placed && (
        <p className="success" role="status">
          {placed()}
        </p>
      )}
      <h3 className="ord-subheading">{t("orders.inEncounter")}</h3>
      <ErrorAlert message={listError} />
      {orders === null && !listError ? (
        <Loading what={t("orders.orders")} />
      ) : orders && orders.length === 0 ? (
        <p className="muted">{t("orders.noneInEncounter")}</p>
      ) : (
        <ul className="ord-list" aria-label={t("orders.inEncounter")}>
          {(orders ?? []).map((order) => (
            <OrderItem key={order.id} order={order} performerName={names.get(order.performer) ?? ""} />
          ))}
        </ul>
      )}
    </section>
  );
}
