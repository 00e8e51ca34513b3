// One order as every party reads it: the test, priority, status, the specimen's step, the
// performing organisation and when it was ordered. Operational data only: the reason and the
// results are the patient's encrypted records.

import type { ReactNode } from "react";
import { t } from "../i18n";
import { formatDateTime, formatUhid } from "../lib/format";
import { shortNameOf } from "../lib/orderCodes";
import type { OrderOut } from "../lib/orders";
import { Badge, Fact } from "./common";

const STATUS_TONE = { active: "pending", completed: "active", revoked: "revoked" } as const;

export function OrderStatusBadge({ order }: { order: OrderOut }) {
  return <Badge tone={STATUS_TONE[order.status]}>{t(`orders.status.${order.status}`)}</Badge>;
}

export function OrderItem({
  order,
  performerName,
  showPatient = false,
  children,
}: {
  order: OrderOut;
  performerName?: string | undefined;
  showPatient?: boolean;
  children?: ReactNode;
}) {
  return (
    <li className="ord-item" data-testid="order">
      <div className="ord-item-head">
        <h3 className="ord-item-title">{orderTitle(order)}</h3>
        <span className="ord-badges">
          <OrderStatusBadge order={order} />
          <Badge tone={order.priority === "routine" ? "other" : "new"}>{t(`orders.priority.${order.priority}`)}</Badge>
        </span>
      </div>
      <dl className="facts">
        {showPatient && (
          <Fact term={t("orders.patient")}>
            {order.patient_name} · <span className="uhid">{formatUhid(order.patient)}</span>
          </Fact>
        )}
        <Fact term={t("orders.code")}>
          {t("orders.codeValue", { system: systemName(order.code.system), code: order.code.code })}
          {shortNameOf(order.code) ? ` · ${order.code.display}` : ""}
        </Fact>
        <Fact term={t("orders.category")}>{t(`orders.category.${order.category}`)}</Fact>
        {performerName !== undefined && <Fact term={t("orders.performer")}>{performerName || t("orders.unknownOrg")}</Fact>}
        {order.specimen_status && (
          <Fact term={t("orders.specimen")}>
            {t(`orders.specimen.${order.specimen_status}`)}
            {order.specimen_reject_reason ? ` · ${t(`orders.reject.${order.specimen_reject_reason}`)}` : ""}
          </Fact>
        )}
        <Fact term={t("orders.orderedAt")}>
          <time dateTime={order.created_at}>{formatDateTime(order.created_at)}</time>
        </Fact>
      </dl>
      {children}
    </li>
  );
}

/** The test's short name when the pick-list knows it (HbA1c), else the name it was ordered by. */
export function orderTitle(order: Pick<OrderOut, "code">): string {
  const name = shortNameOf(order.code);
  return name ? t(name) : order.code.display;
}

function systemName(system: string): string {
  if (system === "http://loinc.org") return "LOINC";
  if (system === "http://snomed.info/sct") return "SNOMED CT";
  if (system === "http://www.radlex.org") return "RadLex";
  return system;
}
