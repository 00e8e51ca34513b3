// The performing organisation's work list: the orders addressed to it, open ones first and
// stat before urgent before routine. A lab steps each specimen (collected, received, in
// progress, or rejected with a reason code) and enters the result against the order; a
// radiology centre uploads the study on the Results and studies screen and reports it here.

import { useCallback, useEffect, useMemo, useState } from "react";
import { api, type Me } from "../api/client";
import { t, useI18n } from "../i18n";
import { problemDetail } from "../lib/format";
import { workListOrder, type OrderOut, type OrderStatus } from "../lib/orders";
import { outcome } from "../lib/outcome";
import { ErrorAlert, Loading } from "./common";
import { OrderItem } from "./OrderItem";
import { OrderWork } from "./OrderWork";

const FILTERS: readonly ("" | OrderStatus)[] = ["active", "", "completed", "revoked"];

export function OrderWorklist({ me }: { me: Me }) {
  useI18n();
  const [status, setStatus] = useState<"" | OrderStatus>("active");
  const [orders, setOrders] = useState<OrderOut[] | null>(null);
  const [error, setError] = useState("");
  const isRadiology = me.roles.includes("radiologist") && !me.roles.includes("lab_technician");

  // Bumped by "Refresh the list": the list is asked for again.
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    void outcome(api.GET("/api/v1/orders", { params: { query: { limit: 200, ...(status ? { status } : {}) } } })).then(
      (result) => {
        if (!live) return;
        if (result.ok) {
          setOrders(result.value);
          setError("");
        } else setError(problemDetail(result.problem, result.status));
      },
    );
    return () => {
      live = false;
    };
  }, [status, round]);

  const sorted = useMemo(() => workListOrder(orders ?? []), [orders]);
  // An order changed by a step or a result replaces its old self in the list.
  const changed = useCallback((order: OrderOut) => {
    setOrders((prev) => (prev ? prev.map((o) => (o.id === order.id ? order : o)) : prev));
  }, []);

  return (
    <main className="content" id="main">
      <h1 className="page-title">{t("orders.worklist.title")}</h1>
      <section className="card" aria-labelledby="ord-worklist-heading">
        <h2 id="ord-worklist-heading">
          {me.organization ? t("orders.worklist.headingOf", { org: me.organization.name }) : t("orders.worklist.title")}
        </h2>
        <p className="muted">{isRadiology ? t("orders.worklist.introImaging") : t("orders.worklist.intro")}</p>
        <div className="ord-toolbar">
          <div className="field ord-filter">
            <label htmlFor="ord-worklist-status">{t("orders.filter")}</label>
            <select id="ord-worklist-status" value={status} onChange={(e) => setStatus(e.target.value as "" | OrderStatus)}>
              {FILTERS.map((f) => (
                <option key={f || "all"} value={f}>
                  {f ? t(`orders.status.${f}`) : t("orders.filterAll")}
                </option>
              ))}
            </select>
          </div>
          <button type="button" className="secondary" onClick={() => setRound((n) => n + 1)}>
            {t("orders.refresh")}
          </button>
        </div>
        <ErrorAlert message={error} />
        {orders === null && !error ? (
          <Loading what={t("orders.orders")} />
        ) : sorted.length === 0 ? (
          <p className="empty">{t("orders.worklist.none")}</p>
        ) : (
          <ul className="ord-list" aria-label={t("orders.worklist.title")}>
            {sorted.map((order) => (
              <OrderItem key={order.id} order={order} showPatient>
                <OrderWork order={order} onChanged={changed} />
              </OrderItem>
            ))}
          </ul>
        )}
      </section>
    </main>
  );
}
