// Every version of one code of the price list, newest first: what it cost from which day.

import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { components } from "../api/schema";
import { t } from "../i18n";
import { problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import { formatDay, formatMoney, percentOf, todayIso } from "../lib/reports";
import { Badge, ErrorAlert, Loading } from "./common";
import { systemLabel } from "./PriceForm";

type PriceItem = components["schemas"]["PriceItemOut"];

export function PriceVersions({ code, onClose }: { code: { system: string; code: string; display: string }; onClose: () => void }) {
  const [versions, setVersions] = useState<PriceItem[] | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    let live = true;
    void outcome(
      api.GET("/api/v1/price-items", { params: { query: { code: code.code, system: code.system, limit: 200 } } }),
    ).then((result) => {
      if (!live) return;
      if (result.ok) setVersions(result.value);
      else setError(problemDetail(result.problem, result.status));
    });
    return () => {
      live = false;
    };
  }, [code.code, code.system]);

  const today = todayIso();
  // The version in force today: the newest whose first day has come (the list is newest first).
  const current = versions?.find((v) => v.valid_from <= today)?.id;

  return (
    <section className="card" aria-labelledby="fin-versions-title">
      <h2 id="fin-versions-title">{t("finance.prices.versionsTitle", { code: code.code, name: code.display })}</h2>
      <p className="muted">{systemLabel(code.system)}</p>
      {!versions && !error && <Loading what={t("finance.prices.versionsWhat")} />}
      <ErrorAlert message={error} />
      {versions && (
        <table className="fin-table">
          <caption className="fin-visually-hidden">{t("finance.prices.versionsCaption", { code: code.code })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("finance.prices.validFrom")}</th>
              <th scope="col" className="fin-num">
                {t("finance.prices.price")}
              </th>
              <th scope="col" className="fin-num">
                {t("finance.prices.tax")}
              </th>
              <th scope="col">{t("finance.prices.department")}</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.id}>
                <th scope="row">
                  {formatDay(v.valid_from)} {v.id === current && <Badge tone="active">{t("finance.prices.current")}</Badge>}
                  {v.valid_from > today && <Badge tone="pending">{t("finance.prices.upcoming")}</Badge>}
                </th>
                <td data-label={t("finance.prices.price")} className="fin-num">{formatMoney(v.price)}</td>
                <td data-label={t("finance.prices.tax")} className="fin-num">{t("finance.percent", { value: percentOf(v.tax_rate) })}</td>
                <td data-label={t("finance.prices.department")}>{v.department ?? t("finance.none")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <button type="button" className="secondary fin-close" onClick={onClose}>
        {t("finance.close")}
      </button>
    </section>
  );
}
