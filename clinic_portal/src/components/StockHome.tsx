// "Stock" for pharmacists: each medication's units on hand against its reorder point (an
// alert badge below it), its lots first expiry first, a new lot, and the reorder point.

import { useEffect, useId, useState, type FormEvent } from "react";
import { api } from "../api/client";
import type { components } from "../api/schema";
import { t, useI18n } from "../i18n";
import { problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import { firstExpiryFirst, formatDay, isRxcui, RXNORM, wholeNumber } from "../lib/pharmacy";
import { usePaged } from "../lib/usePaged";
import { Badge, Fact, PagedList } from "./common";
import { MedicationFields, RxField, RxStatus } from "./PharmacyParts";

type Item = components["schemas"]["ItemOut"];
type Lot = components["schemas"]["LotOut"];

export function StockHome() {
  useI18n();
  const items = usePaged<Item>("stock", (offset, limit) =>
    outcome(api.GET("/api/v1/inventory/items", { params: { query: { limit, offset } } })),
  );
  return (
    <main className="content" id="main">
      <h1 className="page-title">{t("pharmacy.stock.title")}</h1>
      <div className="rx-layout">
        <section className="card" aria-labelledby="rx-stock-items">
          <h2 id="rx-stock-items">{t("pharmacy.nav.stock")}</h2>
          <PagedList
            page={items}
            what={t("pharmacy.stock.what")}
            empty={t("pharmacy.stock.empty")}
            render={(item) => <StockItem key={item.id} item={item} onChanged={() => items.reload(0)} />}
          />
        </section>
        <AddLot onAdded={() => items.reload(1)} />
      </div>
    </main>
  );
}

function StockItem({ item, onChanged }: { item: Item; onChanged: () => void }) {
  const id = useId();
  const [point, setPoint] = useState(String(item.reorder_point));
  const [error, setError] = useState("");
  const [saved, setSaved] = useState(false);
  const [open, setOpen] = useState(false);

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSaved(false);
    const n = wholeNumber(point, 0);
    if (n === null) {
      setError(t("pharmacy.queue.quantityInvalid"));
      return;
    }
    const result = await outcome(
      api.PUT("/api/v1/inventory/items/{item_id}/reorder-point", {
        params: { path: { item_id: item.id } },
        body: { reorder_point: n },
      }),
    );
    if (result.ok) {
      setError("");
      setSaved(true);
      onChanged();
    } else setError(problemDetail(result.problem, result.status));
  }

  const name = item.medication.display;
  return (
    <li className="item" data-testid="stock-item">
      <h3 className="rx-item-title">
        {name} {item.below_reorder_point && <Badge tone="denied">{t("pharmacy.stock.below")}</Badge>}
      </h3>
      <dl className="facts">
        <Fact term={t("pharmacy.stock.onHand")}>{item.on_hand}</Fact>
        <Fact term={t("pharmacy.stock.dispensable")}>{item.dispensable}</Fact>
        <Fact term={t("pharmacy.stock.reorderPoint")}>{item.reorder_point}</Fact>
      </dl>
      <form className="rx-inline" onSubmit={(e) => void save(e)} noValidate>
        <RxField
          label={`${t("pharmacy.stock.reorderPoint")} (${name})`}
          inputMode="numeric"
          value={point}
          onChange={setPoint}
          error={error}
        />
        <button type="submit" className="secondary">
          {t("pharmacy.stock.setReorder")}
        </button>
      </form>
      <RxStatus>{saved ? t("pharmacy.stock.reorderSaved") : ""}</RxStatus>
      <button type="button" className="secondary" aria-expanded={open} aria-controls={`${id}-lots`} onClick={() => setOpen(!open)}>
        {t("pharmacy.stock.showLots", { name })}
      </button>
      <div id={`${id}-lots`}>{open && <Lots itemId={item.id} onHand={item.on_hand} />}</div>
    </li>
  );
}

function Lots({ itemId, onHand }: { itemId: string; onHand: number }) {
  const [lots, setLots] = useState<Lot[] | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    let live = true;
    void outcome(
      api.GET("/api/v1/inventory/items/{item_id}/lots", { params: { path: { item_id: itemId }, query: { limit: 200 } } }),
    ).then((r) => {
      if (!live) return;
      if (r.ok) setLots(firstExpiryFirst(r.value));
      else setError(problemDetail(r.problem, r.status));
    });
    return () => {
      live = false;
    };
  }, [itemId, onHand]);
  if (error)
    return (
      <p className="alert" role="alert">
        {error}
      </p>
    );
  if (!lots) return <p className="muted">{t("common.loading", { what: t("pharmacy.stock.lotsWhat") })}</p>;
  if (!lots.length) return <p className="empty">{t("pharmacy.stock.noLots")}</p>;
  return (
    <ol className="rx-lots">
      {lots.map((l) => (
        <li key={l.id}>
          <strong>{l.lot_number}</strong> · {t("pharmacy.stock.expiry")} {formatDay(l.expiry)} · {t("pharmacy.stock.quantity")}{" "}
          {l.quantity} {l.expired && <Badge tone="expired">{t("pharmacy.stock.expired")}</Badge>}{" "}
          {l.recalled && <Badge tone="denied">{t("pharmacy.stock.recalled")}</Badge>}
        </li>
      ))}
    </ol>
  );
}

const EMPTY = { medication: { code: "", display: "" }, lot: "", expiry: "", quantity: "", reorder: "" };

function AddLot({ onAdded }: { onAdded: () => void }) {
  const [form, setForm] = useState(EMPTY);
  const [error, setError] = useState("");
  const [added, setAdded] = useState("");
  const [busy, setBusy] = useState(false);

  async function add(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setAdded("");
    const quantity = wholeNumber(form.quantity);
    const reorder = form.reorder.trim() ? wholeNumber(form.reorder, 0) : -1;
    if (!isRxcui(form.medication.code) || !form.medication.display.trim() || !form.lot.trim() || !form.expiry || quantity === null || reorder === null) {
      setError(t("pharmacy.stock.invalid"));
      return;
    }
    setBusy(true);
    const result = await outcome(
      api.POST("/api/v1/inventory/lots", {
        body: {
          medication: { system: RXNORM, code: form.medication.code.trim(), display: form.medication.display.trim() },
          lot_number: form.lot.trim(),
          expiry: form.expiry,
          quantity,
          reorder_point: reorder < 0 ? null : reorder,
        },
      }),
    );
    setBusy(false);
    if (result.ok) {
      setError("");
      setAdded(t("pharmacy.stock.added", { lot: result.value.lot_number }));
      setForm(EMPTY);
      onAdded();
    } else setError(problemDetail(result.problem, result.status));
  }

  return (
    <section className="card" aria-labelledby="rx-add-lot">
      <h2 id="rx-add-lot">{t("pharmacy.stock.addHeading")}</h2>
      <form onSubmit={(e) => void add(e)} noValidate>
        <MedicationFields value={form.medication} onChange={(medication) => setForm({ ...form, medication })} />
        <RxField label={t("pharmacy.stock.lotNumber")} value={form.lot} onChange={(lot) => setForm({ ...form, lot })} />
        <RxField label={t("pharmacy.stock.expiry")} type="date" value={form.expiry} onChange={(expiry) => setForm({ ...form, expiry })} />
        <RxField label={t("pharmacy.stock.quantity")} inputMode="numeric" value={form.quantity} onChange={(quantity) => setForm({ ...form, quantity })} />
        <RxField label={t("pharmacy.stock.reorderPoint")} inputMode="numeric" value={form.reorder} onChange={(reorder) => setForm({ ...form, reorder })} />
        {error && (
          <p className="alert" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy} aria-busy={busy}>
          {t("pharmacy.stock.add")}
        </button>
        <RxStatus>{added}</RxStatus>
      </form>
    </section>
  );
}
