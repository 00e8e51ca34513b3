// The organisation's reports (its administrators): revenue by service and by department for a
// period (this month by default), receivables by age, claims by status and payer. Each has a
// bar chart, its table with totals to the cent, and its CSV.

import { useState, type FormEvent } from "react";
import type { Me } from "../api/client";
import { api } from "../api/client";
import type { components } from "../api/schema";
import { t, type MessageKey } from "../i18n";
import { formatDate, formatUhid } from "../lib/format";
import { outcome, type Outcome } from "../lib/outcome";
import { centsOf, centsText, formatDay, formatMoney, thisMonth, type Bar } from "../lib/reports";
import { ChartBars } from "./ChartBars";
import { CLAIM_STATUS } from "./ClaimQueue";
import { FinField } from "./ReportParts";
import { ReportSection, useReport } from "./ReportSection";

type Revenue = components["schemas"]["RevenueOut"];
type Receivables = components["schemas"]["ReceivablesOut"];
type ClaimsReport = components["schemas"]["ClaimsReportOut"];
type Money = { amount: string; currency: string };
type Period = { from: string; to: string };

const BUCKETS: Record<string, MessageKey> = {
  "0-30": "finance.reports.bucket0",
  "31-60": "finance.reports.bucket31",
  "61-90": "finance.reports.bucket61",
  "over 90": "finance.reports.bucket90",
};

function money(m: { amount: string | number; currency: string }): Money {
  return { amount: String(m.amount), currency: m.currency };
}

function bar(label: string, m: Money, several: boolean): Bar {
  return { label: several ? `${label} (${m.currency})` : label, cents: centsOf(m.amount) ?? 0n, text: formatMoney(m) };
}

/** Sums per currency, to the cent: the count and two amounts (the second may be left 0). */
function totalsByCurrency<T>(rows: readonly T[], currency: (r: T) => string, count: (r: T) => number, first: (r: T) => string, second: (r: T) => string = () => "0") {
  const sums = new Map<string, { count: number; first: bigint; second: bigint }>();
  for (const r of rows) {
    const sum = sums.get(currency(r)) ?? { count: 0, first: 0n, second: 0n };
    sums.set(currency(r), {
      count: sum.count + count(r),
      first: sum.first + (centsOf(first(r)) ?? 0n),
      second: sum.second + (centsOf(second(r)) ?? 0n),
    });
  }
  return [...sums.entries()].map(([cur, s]) => ({
    currency: cur,
    count: s.count,
    first: { amount: centsText(s.first), currency: cur },
    second: { amount: centsText(s.second), currency: cur },
  }));
}

/** A report's JSON: its 200 also has a CSV form, so the typed client cannot narrow the body. */
function asReport<T>(call: Promise<{ data?: unknown; error?: unknown; response: Response }>): Promise<Outcome<T>> {
  return outcome(call as Promise<{ data?: T; error?: unknown; response: Response }>);
}

function RevenueReport({ by, period }: { by: "service" | "department"; period: Period }) {
  const title = by === "service" ? t("finance.reports.byService") : t("finance.reports.byDepartment");
  const query = { from: period.from, to: period.to, by };
  const report = useReport<Revenue>(`revenue:${by}:${period.from}:${period.to}`, () =>
    asReport<Revenue>(api.GET("/api/v1/reports/revenue", { params: { query } })),
  );
  return (
    <ReportSection
      id={`fin-revenue-${by}`}
      title={title}
      report={report}
      csvName={`revenue-by-${by}.csv`}
      csv={() => api.GET("/api/v1/reports/revenue", { params: { query: { ...query, format: "csv" } }, parseAs: "blob" })}
    >
      {(r) => {
        const several = new Set(r.rows.map((row) => row.currency)).size > 1;
        const label = (key: string | null, text: string) => (key === null && by === "department" ? t("finance.reports.unassigned") : text);
        if (r.rows.length === 0) return <p className="empty">{t("finance.reports.noRevenue")}</p>;
        return (
          <div className="fin-report-body">
            <ChartBars
              caption={t("finance.reports.revenueCaption", { from: formatDay(r.from), to: formatDay(r.to) })}
              bars={r.rows.map((row) => bar(label(row.key, row.label), money(row.total), several))}
            />
            <div className="fin-table-wrap">
              <table className="fin-table">
                <caption className="fin-visually-hidden">{title}</caption>
                <thead>
                  <tr>
                    <th scope="col">{by === "service" ? t("finance.reports.service") : t("finance.reports.department")}</th>
                    <th scope="col" className="fin-num">
                      {t("finance.reports.lines")}
                    </th>
                    <th scope="col" className="fin-num">
                      {t("finance.reports.net")}
                    </th>
                    <th scope="col" className="fin-num">
                      {t("finance.reports.tax")}
                    </th>
                    <th scope="col" className="fin-num">
                      {t("finance.reports.total")}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {r.rows.map((row, n) => (
                    <tr key={`${row.key ?? ""}-${row.currency}-${n}`}>
                      <th scope="row">{label(row.key, row.label)}</th>
                      <td data-label={t("finance.reports.lines")} className="fin-num">{row.count}</td>
                      <td data-label={t("finance.reports.net")} className="fin-num">{formatMoney(money(row.net))}</td>
                      <td data-label={t("finance.reports.tax")} className="fin-num">{formatMoney(money(row.tax))}</td>
                      <td data-label={t("finance.reports.total")} className="fin-num">{formatMoney(money(row.total))}</td>
                    </tr>
                  ))}
                </tbody>
                <tfoot>
                  {r.totals.map((total) => (
                    <tr key={total.currency} data-testid={`revenue-${by}-total-${total.currency}`}>
                      <th scope="row">{t("finance.reports.totalIn", { currency: total.currency })}</th>
                      <td data-label={t("finance.reports.lines")} className="fin-num">{total.count}</td>
                      <td data-label={t("finance.reports.net")} className="fin-num">{formatMoney(money(total.net))}</td>
                      <td data-label={t("finance.reports.tax")} className="fin-num">{formatMoney(money(total.tax))}</td>
                      <td data-label={t("finance.reports.total")} className="fin-num">{formatMoney(money(total.total))}</td>
                    </tr>
                  ))}
                </tfoot>
              </table>
            </div>
          </div>
        );
      }}
    </ReportSection>
  );
}

function ReceivablesReport({ asOf }: { asOf: string }) {
  const title = t("finance.reports.receivables");
  const report = useReport<Receivables>(`receivables:${asOf}`, () =>
    asReport<Receivables>(api.GET("/api/v1/reports/receivables", { params: { query: { as_of: asOf } } })),
  );
  return (
    <ReportSection
      id="fin-receivables"
      title={title}
      report={report}
      csvName="receivables.csv"
      csv={() => api.GET("/api/v1/reports/receivables", { params: { query: { as_of: asOf, format: "csv" } }, parseAs: "blob" })}
    >
      {(r) => {
        const several = new Set(r.buckets.map((b) => b.currency)).size > 1;
        const bucketLabel = (b: string) => (BUCKETS[b] ? t(BUCKETS[b]) : b);
        const totals = totalsByCurrency(r.buckets, (b) => b.currency, (b) => b.count, (b) => String(b.balance.amount));
        if (r.buckets.length === 0) return <p className="empty">{t("finance.reports.nothingOwed")}</p>;
        return (
          <div className="fin-report-body">
            <ChartBars
              caption={t("finance.reports.receivablesCaption", { day: formatDay(r.as_of) })}
              bars={r.buckets.map((b) => bar(bucketLabel(b.bucket), money(b.balance), several))}
            />
            <div className="fin-table-wrap">
              <table className="fin-table">
                <caption className="fin-visually-hidden">{title}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("finance.reports.age")}</th>
                    <th scope="col" className="fin-num">
                      {t("finance.reports.invoices")}
                    </th>
                    <th scope="col" className="fin-num">
                      {t("finance.reports.balance")}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {r.buckets.map((b) => (
                    <tr key={`${b.bucket}-${b.currency}`}>
                      <th scope="row">{several ? `${bucketLabel(b.bucket)} (${b.currency})` : bucketLabel(b.bucket)}</th>
                      <td data-label={t("finance.reports.invoices")} className="fin-num">{b.count}</td>
                      <td data-label={t("finance.reports.balance")} className="fin-num">{formatMoney(money(b.balance))}</td>
                    </tr>
                  ))}
                </tbody>
                <tfoot>
                  {totals.map((total) => (
                    <tr key={total.currency} data-testid={`receivables-total-${total.currency}`}>
                      <th scope="row">{t("finance.reports.totalIn", { currency: total.currency })}</th>
                      <td data-label={t("finance.reports.invoices")} className="fin-num">{total.count}</td>
                      <td data-label={t("finance.reports.balance")} className="fin-num">{formatMoney(total.first)}</td>
                    </tr>
                  ))}
                </tfoot>
              </table>
            </div>
            {r.oldest.length > 0 && (
              <div className="fin-table-wrap">
                <table className="fin-table">
                  <caption>{t("finance.reports.oldest")}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t("finance.reports.number")}</th>
                      <th scope="col">{t("finance.reports.patient")}</th>
                      <th scope="col">{t("finance.reports.issued")}</th>
                      <th scope="col" className="fin-num">
                        {t("finance.reports.ageDays")}
                      </th>
                      <th scope="col" className="fin-num">
                        {t("finance.reports.balance")}
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.oldest.map((i) => (
                      <tr key={i.id}>
                        <th scope="row">{i.number}</th>
                        <td data-label={t("finance.reports.patient")}>{formatUhid(i.patient)}</td>
                        <td data-label={t("finance.reports.issued")}>{formatDate(i.issued_at)}</td>
                        <td data-label={t("finance.reports.ageDays")} className="fin-num">{i.age_days}</td>
                        <td data-label={t("finance.reports.balance")} className="fin-num">{formatMoney(money(i.balance))}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </div>
        );
      }}
    </ReportSection>
  );
}

function ClaimsReportView({ period }: { period: Period }) {
  const title = t("finance.reports.claims");
  const query = { from: period.from, to: period.to };
  const report = useReport<ClaimsReport>(`claims:${period.from}:${period.to}`, () =>
    asReport<ClaimsReport>(api.GET("/api/v1/reports/claims", { params: { query } })),
  );
  return (
    <ReportSection
      id="fin-claims-report"
      title={title}
      report={report}
      csvName="claims.csv"
      csv={() => api.GET("/api/v1/reports/claims", { params: { query: { ...query, format: "csv" } }, parseAs: "blob" })}
    >
      {(r) => {
        const several = new Set(r.rows.map((row) => row.currency)).size > 1;
        const statusLabel = (s: string) => (s in CLAIM_STATUS ? t(CLAIM_STATUS[s as keyof typeof CLAIM_STATUS].label) : s);
        const rowLabel = (row: ClaimsReport["rows"][number]) => `${statusLabel(row.status)} · ${row.insurer_name}`;
        const totals = totalsByCurrency(
          r.rows,
          (row) => row.currency,
          (row) => row.count,
          (row) => String(row.claimed.amount),
          (row) => String(row.approved.amount),
        );
        if (r.rows.length === 0) return <p className="empty">{t("finance.reports.noClaims")}</p>;
        return (
          <div className="fin-report-body">
            <ChartBars
              caption={t("finance.reports.claimsCaption", { from: formatDay(r.from), to: formatDay(r.to) })}
              bars={r.rows.map((row) => bar(rowLabel(row), money(row.claimed), several))}
            />
            <div className="fin-table-wrap">
              <table className="fin-table">
                <caption className="fin-visually-hidden">{title}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("finance.reports.status")}</th>
                    <th scope="col">{t("finance.reports.payer")}</th>
                    <th scope="col" className="fin-num">
                      {t("finance.reports.claimCount")}
                    </th>
                    <th scope="col" className="fin-num">
                      {t("finance.reports.claimed")}
                    </th>
                    <th scope="col" className="fin-num">
                      {t("finance.reports.approved")}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {r.rows.map((row) => (
                    <tr key={`${row.status}-${row.insurer}-${row.currency}`}>
                      <th scope="row">{statusLabel(row.status)}</th>
                      <td data-label={t("finance.reports.payer")}>{row.insurer_name}</td>
                      <td data-label={t("finance.reports.claimCount")} className="fin-num">{row.count}</td>
                      <td data-label={t("finance.reports.claimed")} className="fin-num">{formatMoney(money(row.claimed))}</td>
                      <td data-label={t("finance.reports.approved")} className="fin-num">{formatMoney(money(row.approved))}</td>
                    </tr>
                  ))}
                </tbody>
                <tfoot>
                  {totals.map((total) => (
                    <tr key={total.currency} data-testid={`claims-total-${total.currency}`}>
                      <th scope="row" colSpan={2}>
                        {t("finance.reports.totalIn", { currency: total.currency })}
                      </th>
                      <td data-label={t("finance.reports.claimCount")} className="fin-num">{total.count}</td>
                      <td data-label={t("finance.reports.claimed")} className="fin-num">{formatMoney(total.first)}</td>
                      <td data-label={t("finance.reports.approved")} className="fin-num">{formatMoney(total.second)}</td>
                    </tr>
                  ))}
                </tfoot>
              </table>
            </div>
          </div>
        );
      }}
    </ReportSection>
  );
}

export function ReportsHome({ me }: { me: Me }) {
  const [period, setPeriod] = useState<Period>(() => thisMonth());
  const [draft, setDraft] = useState<Period>(period);
  const [error, setError] = useState("");

  function apply(e: FormEvent) {
    e.preventDefault();
    if (!draft.from || !draft.to || draft.from > draft.to) {
      setError(t("finance.reports.periodInvalid"));
      return;
    }
    setError("");
    setPeriod(draft);
  }

  return (
    <main className="content fin-page" id="main">
      <h1 id="page-title" className="page-title">
        {t("finance.nav.reports")}
      </h1>
      {me.organization && <p className="muted">{me.organization.name}</p>}
      <form className="card fin-period" onSubmit={apply} noValidate aria-label={t("finance.reports.period")}>
        <FinField label={t("finance.reports.from")} type="date" value={draft.from} onChange={(v) => setDraft((d) => ({ ...d, from: v }))} />
        <FinField
          label={t("finance.reports.to")}
          type="date"
          value={draft.to}
          onChange={(v) => setDraft((d) => ({ ...d, to: v }))}
          error={error}
        />
        <button type="submit" className="primary">
          {t("finance.reports.show")}
        </button>
      </form>
      <div className="fin-reports">
        <RevenueReport by="service" period={period} />
        <RevenueReport by="department" period={period} />
        <ReceivablesReport asOf={period.to} />
        <ClaimsReportView period={period} />
      </div>
    </main>
  );
}
