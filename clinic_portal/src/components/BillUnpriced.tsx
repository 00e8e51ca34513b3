// The organisation's billable events waiting for a price: services the workflows reported
// (a visit, a test, a study, a dispense) whose code has no price in force. They are charged
// as soon as the administrator adds the price to the price list.

import { api } from "../api/client";
import { t } from "../i18n";
import type { BillableEventOut } from "../lib/billing";
import { formatDate, formatUhid } from "../lib/format";
import { outcome } from "../lib/outcome";
import { usePaged } from "../lib/usePaged";
import { PagedList } from "./common";

const KINDS = {
  consultation: "billing.event.consultation",
  lab_order: "billing.event.lab_order",
  imaging_order: "billing.event.imaging_order",
  dispense: "billing.event.dispense",
  bed_day: "billing.event.bed_day",
} as const;

export function BillUnpriced() {
  const events = usePaged<BillableEventOut>(
    "unpriced",
    (offset, limit) => outcome(api.GET("/api/v1/billable-events", { params: { query: { status: "unpriced", limit, offset } } })),
    5,
  );
  return (
    <section className="card" aria-labelledby="bill-unpriced-heading">
      <h2 id="bill-unpriced-heading">{t("billing.unpriced.heading")}</h2>
      <p className="hint">{t("billing.unpriced.hint")}</p>
      <PagedList
        page={events}
        what={t("billing.unpriced.what")}
        empty={t("billing.unpriced.none")}
        render={(e) => (
          <li className="item" key={e.id}>
            <div className="item-head">
              <span className="item-title">{e.code.display}</span>
              <time dateTime={e.occurred_at}>{formatDate(e.occurred_at)}</time>
            </div>
            <p className="item-meta">
              {t(KINDS[e.kind])} · {e.code.code}
              {e.patient ? ` · ${t("billing.unpriced.patient", { uhid: formatUhid(e.patient) })}` : ""}
            </p>
          </li>
        )}
      />
    </section>
  );
}
