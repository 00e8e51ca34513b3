// "Catalogue" for a drug vendor: its products (name, RxNorm code, strength, form, pack size,
// price), their availability, a new product, and the recall of a lot.

import { useId, useState, type FormEvent } from "react";
import { api, type Me } from "../api/client";
import { t, useI18n } from "../i18n";
import { problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import { amountText, formatMoney, isRxcui, RXNORM, wholeNumber } from "../lib/pharmacy";
import { usePaged } from "../lib/usePaged";
import { Badge, PagedList } from "./common";
import { RxField, RxStatus, type Product } from "./PharmacyParts";

export function VendorCatalogue({ me }: { me: Me }) {
  useI18n();
  const vendor = me.organization?.id ?? null;
  const products = usePaged<Product>(vendor, (offset, limit) =>
    outcome(api.GET("/api/v1/catalog/products", { params: { query: { vendor, limit, offset } } })),
  );
  return (
    <main className="content" id="main">
      <h1 className="page-title">{t("pharmacy.cat.title")}</h1>
      <div className="rx-layout">
        <AddProduct onAdded={() => products.reload(1)} />
        <section className="card" aria-labelledby="rx-products">
          <h2 id="rx-products">{t("pharmacy.cat.title")}</h2>
          <PagedList
            page={products}
            what={t("pharmacy.cat.what")}
            empty={t("pharmacy.cat.empty")}
            render={(p) => <ProductItem key={p.id} product={p} onChanged={() => products.reload(0)} />}
          />
        </section>
      </div>
    </main>
  );
}

function ProductItem({ product, onChanged }: { product: Product; onChanged: () => void }) {
  const [lot, setLot] = useState("");
  const [error, setError] = useState("");
  const [done, setDone] = useState("");

  async function toggle() {
    const result = await outcome(
      api.PATCH("/api/v1/catalog/products/{product_id}", {
        params: { path: { product_id: product.id } },
        body: { available: !product.available },
      }),
    );
    if (result.ok) onChanged();
    else setError(problemDetail(result.problem, result.status));
  }

  async function recall(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setDone("");
    if (!lot.trim()) return;
    const result = await outcome(
      api.POST("/api/v1/catalog/products/{product_id}/recalls", {
        params: { path: { product_id: product.id } },
        body: { lot_number: lot.trim() },
      }),
    );
    if (result.ok) {
      setError("");
      setLot("");
      setDone(t("pharmacy.cat.recalled", { lot: result.value.lot_number }));
    } else setError(problemDetail(result.problem, result.status));
  }

  return (
    <li className="item">
      <h3 className="rx-item-title">
        {product.name}{" "}
        <Badge tone={product.available ? "active" : "other"}>
          {product.available ? t("pharmacy.cat.available") : t("pharmacy.cat.unavailable")}
        </Badge>
      </h3>
      <p>
        {t("pharmacy.cat.packWords", { strength: product.strength, form: product.form, pack: String(product.pack_size) })} ·{" "}
        {formatMoney(product.price)} · RxNorm {product.code.code}
      </p>
      <button type="button" className="secondary" onClick={() => void toggle()}>
        {product.available ? t("pharmacy.cat.makeUnavailable") : t("pharmacy.cat.makeAvailable")}
      </button>
      <form className="rx-inline" onSubmit={(e) => void recall(e)} noValidate>
        <RxField label={`${t("pharmacy.cat.recallLot")} (${product.name})`} value={lot} onChange={setLot} />
        <button type="submit" className="danger">
          {t("pharmacy.cat.recall")}
        </button>
      </form>
      {error && (
        <p className="alert" role="alert">
          {error}
        </p>
      )}
      <RxStatus>{done}</RxStatus>
    </li>
  );
}

const EMPTY = { name: "", code: "", display: "", strength: "", form: "", pack: "", amount: "", currency: "INR" };

function AddProduct({ onAdded }: { onAdded: () => void }) {
  const id = useId();
  const [form, setForm] = useState(EMPTY);
  const [error, setError] = useState("");
  const [added, setAdded] = useState("");

  async function add(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setAdded("");
    const pack = wholeNumber(form.pack);
    const amount = amountText(form.amount);
    const currency = form.currency.trim().toUpperCase();
    if (!form.name.trim() || !isRxcui(form.code) || !form.strength.trim() || !form.form.trim() || pack === null || amount === null || !/^[A-Z]{3}$/.test(currency)) {
      setError(t("pharmacy.cat.invalid"));
      return;
    }
    const name = form.name.trim();
    const result = await outcome(
      api.POST("/api/v1/catalog/products", {
        body: {
          name,
          code: { system: RXNORM, code: form.code.trim(), display: form.display.trim() || name },
          strength: form.strength.trim(),
          form: form.form.trim(),
          pack_size: pack,
          price: { amount, currency },
          available: true,
        },
      }),
    );
    if (result.ok) {
      setError("");
      setForm(EMPTY);
      setAdded(t("pharmacy.cat.added", { name }));
      onAdded();
    } else setError(problemDetail(result.problem, result.status));
  }

  const field = (key: keyof typeof EMPTY, label: string, inputMode?: "numeric" | "decimal") => (
    <RxField label={label} inputMode={inputMode} value={form[key]} onChange={(v) => setForm({ ...form, [key]: v })} />
  );
  return (
    <section className="card" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t("pharmacy.cat.addHeading")}</h2>
      <form onSubmit={(e) => void add(e)} noValidate>
        {field("name", t("pharmacy.cat.name"))}
        {field("code", t("pharmacy.rx.code"), "numeric")}
        {field("display", t("pharmacy.rx.name"))}
        {field("strength", t("pharmacy.cat.strength"))}
        {field("form", t("pharmacy.cat.form"))}
        {field("pack", t("pharmacy.cat.packSize"), "numeric")}
        <div className="rx-row">
          {field("amount", t("pharmacy.cat.price"), "decimal")}
          {field("currency", t("pharmacy.cat.currency"))}
        </div>
        {error && (
          <p className="alert" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary">
          {t("pharmacy.cat.add")}
        </button>
        <RxStatus>{added}</RxStatus>
      </form>
    </section>
  );
}
