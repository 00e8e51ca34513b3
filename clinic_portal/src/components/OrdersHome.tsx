// The orders screen: a patient's own orders (from every clinic), or the orders a physician
// placed, with their status and where they are performed. Results are records: the patient
// reads them on the health screen, the physician in the patient's records.

import { useMemo, useState } from "react";
import { api, type Me } from "../api/client";
import { t, useI18n } from "../i18n";
import type { OrderOut, OrderStatus } from "../lib/orders";
import { outcome } from "../lib/outcome";
import { namesOf, useDirectoryEntries } from "../lib/useDirectory";
import { usePaged } from "../lib/usePaged";
import { PagedList } from "./common";
import { OrderItem } from "./OrderItem";

const FILTERS: readonly ("" | OrderStatus)[] = ["", "active", "completed", "revoked"];

export function OrdersHome({ me }: { me: Me }) {
  useI18n();
  const isPatient = me.roles.includes("patient");
  const [status, setStatus] = useState<"" | OrderStatus>("");
  const directory = useDirectoryEntries();
  const names = useMemo(() => namesOf(directory.entries), [directory.entries]);
  const orders = usePaged<OrderOut>(status, (offset, limit) =>
    outcome(api.GET("/api/v1/orders", { params: { query: { limit, offset, ...(status ? { status } : {}) } } })),
  );

  return (
    <main className="content" id="main">
      <h1 className="page-title">{isPatient ? t("orders.mine.title") : t("orders.placedList.title")}</h1>
      <section className="card" aria-labelledby="ord-list-heading">
        <h2 id="ord-list-heading">{isPatient ? t("orders.mine.heading") : t("orders.placedList.heading")}</h2>
        <p className="muted">{isPatient ? t("orders.mine.intro") : t("orders.placedList.intro")}</p>
        <div className="field ord-filter">
          <label htmlFor="ord-status">{t("orders.filter")}</label>
          <select id="ord-status" value={status} onChange={(e) => setStatus(e.target.value as "" | OrderStatus)}>
            {FILTERS.map((f) => (
              <option key={f || "all"} value={f}>
                {f ? t(`orders.status.${f}`) : t("orders.filterAll")}
              </option>
            ))}
          </select>
        </div>
        <PagedList
          page={orders}
          what={t("orders.orders")}
          empty={isPatient ? t("orders.mine.none") : t("orders.placedList.none")}
          listClass="ord-list"
          render={(order) => (
            <OrderItem key={order.id} order={order} showPatient={!isPatient} performerName={names.get(order.performer) ?? ""} />
          )}
        />
      </section>
    </main>
  );
}
