// The organisation's price list (its administrators): the prices in force today, searchable;
// adding a price or a new version of one from a later day; a code's versions by date.

import { useRef, useState } from "react";
import type { Me } from "../api/client";
import { api } from "../api/client";
import type { components } from "../api/schema";
import { t } from "../i18n";
import { outcome } from "../lib/outcome";
import { formatDay, formatMoney, percentOf } from "../lib/reports";
import { usePaged } from "../lib/usePaged";
import { Fact, PagedList } from "./common";
import { PriceForm, systemLabel, type PriceDraft } from "./PriceForm";
import { PriceVersions } from "./PriceVersions";

export type PriceItem = components["schemas"]["PriceItemOut"];
export type PriceCode = { system: string; code: string; display: string };

function matches(item: PriceItem, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return [item.code.code, item.code.display, item.department ?? "", systemLabel(item.code.system)].some((s) =>
    s.toLowerCase().includes(q),
  );
}

export function PriceListHome({ me }: { me: Me }) {
  const [query, setQuery] = useState("");
  const [shown, setShown] = useState<PriceCode | null>(null);
  const [versionsKey, setVersionsKey] = useState(0);
  const [template, setTemplate] = useState<PriceDraft | null>(null);
  const formRef = useRef<HTMLElement>(null);
  const prices = usePaged<PriceItem>(
    `prices:${me.organization?.id ?? ""}`,
    (offset, limit) => outcome(api.GET("/api/v1/price-items", { params: { query: { offset, limit } } })),
    100,
  );
  const found = prices.items.filter((item) => matches(item, query));

  function showVersions(code: PriceCode) {
    setShown(code);
    setVersionsKey((k) => k + 1);
  }

  function newVersion(item: PriceItem) {
    setTemplate({
      system: item.code.system,
      code: item.code.code,
      display: item.code.display,
      amount: item.price.amount,
      currency: item.price.currency,
      taxPercent: percentOf(item.tax_rate),
      validFrom: "",
      department: item.department ?? "",
    });
    formRef.current?.scrollIntoView({ block: "start" });
    formRef.current?.querySelector<HTMLInputElement>("input[type=date]")?.focus();
  }

  function added(item: PriceItem) {
    prices.reload(1);
    showVersions(item.code);
  }

  return (
    <main className="content fin-page" id="main">
      <h1 id="page-title" className="page-title">
        {t("finance.nav.prices")}
      </h1>
      <div className="fin-layout">
        <section className="card" aria-labelledby="fin-prices-title">
          <h2 id="fin-prices-title">{t("finance.prices.inForce")}</h2>
          <div className="fin-toolbar">
            <div className="field">
              <label htmlFor="fin-price-search">{t("finance.prices.search")}</label>
              <input id="fin-price-search" type="search" value={query} onChange={(e) => setQuery(e.target.value)} autoComplete="off" />
            </div>
          </div>
          {prices.status === "ready" && query.trim() && found.length === 0 && prices.items.length > 0 ? (
            <p className="empty">{t("finance.prices.noMatch")}</p>
          ) : (
            <PagedList
              page={{ ...prices, items: found }}
              what={t("finance.prices.what")}
              empty={t("finance.prices.empty")}
              listClass="items fin-prices"
              render={(item) => (
                <li key={item.id} className="item">
                  <h3 className="fin-item-title">{item.code.display}</h3>
                  <dl className="facts fin-facts">
                    <Fact term={t("finance.prices.code")}>
                      {systemLabel(item.code.system)} {item.code.code}
                    </Fact>
                    <Fact term={t("finance.prices.price")}>{formatMoney(item.price)}</Fact>
                    <Fact term={t("finance.prices.tax")}>{t("finance.percent", { value: percentOf(item.tax_rate) })}</Fact>
                    <Fact term={t("finance.prices.validFrom")}>{formatDay(item.valid_from)}</Fact>
                    <Fact term={t("finance.prices.department")}>{item.department ?? t("finance.none")}</Fact>
                  </dl>
                  <div className="fin-actions">
                    <button type="button" className="secondary" onClick={() => showVersions(item.code)}>
                      {t("finance.prices.versionsOf", { code: item.code.code })}
                    </button>
                    <button type="button" className="secondary" onClick={() => newVersion(item)}>
                      {t("finance.prices.newVersionOf", { code: item.code.code })}
                    </button>
                  </div>
                </li>
              )}
            />
          )}
        </section>
        <div className="fin-side">
          <section className="card" aria-labelledby="fin-add-title" ref={formRef}>
            <h2 id="fin-add-title">{t("finance.prices.add")}</h2>
            <PriceForm template={template} onAdded={added} />
          </section>
          {shown && <PriceVersions key={versionsKey} code={shown} onClose={() => setShown(null)} />}
        </div>
      </div>
    </main>
  );
}
