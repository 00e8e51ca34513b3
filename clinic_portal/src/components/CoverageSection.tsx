// A patient's insurance: their coverages with their validity, and a form to add one (the
// insurer chosen from the directory's organisations of kind insurer). The desk claims an
// invoice against one of these.

import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from "react";
import { api, type DirectoryEntry } from "../api/client";
import { t } from "../i18n";
import { buildCoverage, isoDay, troubleOf, type CoverageInput, type CoverageOut, type Trouble } from "../lib/billing";
import { formatDate, problemDetail, problemFieldErrors } from "../lib/format";
import { formatMoney, rateToPercent } from "../lib/money";
import { outcome } from "../lib/outcome";
import { Badge, ErrorAlert, Fact, Loading, TroubleAlert } from "./common";

/** The currency of the portal's demo deployment: a coverage's co-pay is written in it. */
export const DEFAULT_CURRENCY = "INR";

type Coverages = { items: CoverageOut[]; status: "loading" | "ready" | "error"; error: string };

/** A patient's coverages, and a way to load them again after one was added. */
export function useCoverages(uhid: string): Coverages & { reload: () => void } {
  const [state, setState] = useState<Coverages>({ items: [], status: "loading", error: "" });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    void outcome(api.GET("/api/v1/patients/{uhid}/coverages", { params: { path: { uhid } } })).then((result) => {
      if (!live) return;
      setState(
        result.ok
          ? { items: result.value, status: "ready", error: "" }
          : { items: [], status: "error", error: problemDetail(result.problem, result.status) },
      );
    });
    return () => {
      live = false;
    };
  }, [uhid, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { ...state, reload };
}

export function coverageLabel(c: CoverageOut): string {
  return t("billing.coverage.label", { insurer: c.insurer_name, plan: c.plan, member: c.member_id });
}

export function CoverageList({ coverages }: { coverages: Coverages }) {
  if (coverages.status === "loading") return <Loading what={t("billing.coverage.what")} />;
  if (coverages.status === "error") return <ErrorAlert message={coverages.error} />;
  if (coverages.items.length === 0) return <p className="empty">{t("billing.coverage.none")}</p>;
  return (
    <ul className="items">
      {coverages.items.map((c) => (
        <li className="item" key={c.id}>
          <div className="item-head">
            <h3 className="item-title bill-item-title">{c.insurer_name}</h3>
            <Badge tone={c.active ? "active" : "other"}>
              {c.active ? t("billing.coverage.active") : t("billing.coverage.inactive")}
            </Badge>
          </div>
          <dl className="facts">
            <Fact term={t("billing.coverage.plan")}>{c.plan}</Fact>
            <Fact term={t("billing.coverage.memberId")}>{c.member_id}</Fact>
            <Fact term={t("billing.coverage.validity")}>
              {t("billing.coverage.period", { from: formatDate(c.valid_from), to: formatDate(c.valid_to) })}
            </Fact>
            <Fact term={t("billing.coverage.copay")}>{formatMoney(c.copay)}</Fact>
            <Fact term={t("billing.coverage.coinsurance")}>
              {t("billing.coverage.percent", { percent: rateToPercent(c.coinsurance) })}
            </Fact>
          </dl>
        </li>
      ))}
    </ul>
  );
}

function emptyCoverage(today: Date): CoverageInput {
  const nextYear = new Date(today);
  nextYear.setFullYear(today.getFullYear() + 1);
  nextYear.setDate(nextYear.getDate() - 1);
  return {
    insurer: "",
    memberId: "",
    plan: "",
    validFrom: isoDay(today),
    validTo: isoDay(nextYear),
    copay: "0",
    coinsurancePercent: "0",
  };
}

/** The insurers of the directory (active organisations of kind insurer). */
function useInsurers(): { insurers: DirectoryEntry[]; error: string; loading: boolean } {
  const [state, setState] = useState<{ insurers: DirectoryEntry[]; error: string; loading: boolean }>({
    insurers: [],
    error: "",
    loading: true,
  });
  useEffect(() => {
    let live = true;
    void outcome(api.GET("/api/v1/directory/organizations", { params: { query: { kind: "insurer", limit: 200 } } })).then(
      (result) => {
        if (!live) return;
        setState(
          result.ok
            ? { insurers: result.value, error: "", loading: false }
            : { insurers: [], error: problemDetail(result.problem, result.status), loading: false },
        );
      },
    );
    return () => {
      live = false;
    };
  }, []);
  return state;
}

export function CoverageForm({ uhid, onAdded }: { uhid: string; onAdded: (coverage: CoverageOut) => void }) {
  const id = useId();
  const { insurers, error: insurersError, loading } = useInsurers();
  const [input, setInput] = useState<CoverageInput>(() => emptyCoverage(new Date()));
  const [trouble, setTrouble] = useState<Trouble | null>(null);
  const [saving, setSaving] = useState(false);
  const [added, setAdded] = useState("");
  const savingRef = useRef(false);
  const alertId = `${id}-alert`;
  const control = (field: string) => {
    const invalid = trouble?.fields.includes(field) ?? false;
    return { id: `${id}-${field}`, "aria-invalid": invalid || undefined, ...(invalid ? { "aria-describedby": alertId } : {}) };
  };
  const set = (field: keyof CoverageInput) => (value: string) => setInput((prev) => ({ ...prev, [field]: value }));

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (savingRef.current) return;
    setAdded("");
    const built = buildCoverage(input, DEFAULT_CURRENCY);
    if (!built.ok) {
      setTrouble(troubleOf(built.errors));
      const first = built.errors[0];
      if (first) document.getElementById(`${id}-${first.field}`)?.focus();
      return;
    }
    savingRef.current = true;
    setSaving(true);
    setTrouble(null);
    const result = await outcome(api.POST("/api/v1/patients/{uhid}/coverages", { params: { path: { uhid } }, body: built.value }));
    savingRef.current = false;
    setSaving(false);
    if (!result.ok) {
      setTrouble({ lead: problemDetail(result.problem, result.status), lines: problemFieldErrors(result.problem), fields: [] });
      return;
    }
    setAdded(t("billing.coverage.added", { insurer: result.value.insurer_name }));
    setInput(emptyCoverage(new Date()));
    onAdded(result.value);
  }

  return (
    <form className="bill-form" onSubmit={(e) => void save(e)} noValidate aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`}>{t("billing.coverage.addHeading")}</h3>
      <div className="bill-fields">
        <div className="field">
          <label htmlFor={`${id}-insurer`}>{t("billing.coverage.insurer")}</label>
          <select {...control("insurer")} value={input.insurer} onChange={(e) => set("insurer")(e.target.value)} disabled={loading}>
            <option value="">{loading ? t("billing.coverage.insurersLoading") : t("billing.coverage.chooseInsurer")}</option>
            {insurers.map((org) => (
              <option key={org.id} value={org.id}>
                {org.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-memberId`}>{t("billing.coverage.memberId")}</label>
          <input {...control("memberId")} autoComplete="off" value={input.memberId} onChange={(e) => set("memberId")(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-plan`}>{t("billing.coverage.plan")}</label>
          <input {...control("plan")} autoComplete="off" value={input.plan} onChange={(e) => set("plan")(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-validFrom`}>{t("billing.coverage.validFrom")}</label>
          <input {...control("validFrom")} type="date" value={input.validFrom} onChange={(e) => set("validFrom")(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-validTo`}>{t("billing.coverage.validTo")}</label>
          <input {...control("validTo")} type="date" value={input.validTo} onChange={(e) => set("validTo")(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-copay`}>{t("billing.coverage.copayIn", { currency: DEFAULT_CURRENCY })}</label>
          <input
            {...control("copay")}
            inputMode="decimal"
            autoComplete="off"
            value={input.copay}
            onChange={(e) => set("copay")(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-coinsurance`}>{t("billing.coverage.coinsurancePercent")}</label>
          <input
            {...control("coinsurance")}
            inputMode="decimal"
            autoComplete="off"
            aria-describedby={trouble?.fields.includes("coinsurance") ? `${id}-coinsurance-hint ${alertId}` : `${id}-coinsurance-hint`}
            value={input.coinsurancePercent}
            onChange={(e) => set("coinsurancePercent")(e.target.value)}
          />
          <p className="hint" id={`${id}-coinsurance-hint`}>
            {t("billing.coverage.coinsuranceHint")}
          </p>
        </div>
      </div>
      <ErrorAlert message={insurersError} />
      <button type="submit" className="primary" disabled={saving} aria-busy={saving}>
        {saving ? t("billing.saving") : t("billing.coverage.add")}
      </button>
      <TroubleAlert trouble={trouble} id={alertId} />
      <p className="write-status" role="status">
        {added}
      </p>
    </form>
  );
}
