// "Purchase orders": a pharmacy drafts an order of a vendor's catalogue products, sends it,
// cancels it, and receives it (lot number, expiry and packs per line, in part or in full);
// the vendor sees the orders sent to it and accepts them.

import { useEffect, useId, useState, type FormEvent } from "react";
import { api, type Me } from "../api/client";
import type { components } from "../api/schema";
import { t, useI18n, type MessageKey } from "../i18n";
import { problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import { formatMoney, packsLeft, wholeNumber } from "../lib/pharmacy";
import { usePaged } from "../lib/usePaged";
import { Badge, Fact, PagedList } from "./common";
import { RxField, RxStatus, type Product } from "./PharmacyParts";

type Order = components["schemas"]["PurchaseOrderOut"];

const STATUS: Record<Order["status"], MessageKey> = {
  draft: "pharmacy.po.draft",
  sent: "pharmacy.po.sent",
  accepted: "pharmacy.po.accepted",
  partly_received: "pharmacy.po.partly_received",
  received: "pharmacy.po.received",
  cancelled: "pharmacy.po.cancelled",
};

export function PurchaseOrdersHome({ me }: { me: Me }) {
  useI18n();
  const buyer = me.permissions.includes("purchase_order:write");
  const orders = usePaged<Order>("orders", (offset, limit) =>
    outcome(api.GET("/api/v1/purchase-orders", { params: { query: { limit, offset } } })),
  );
  return (
    <main className="content" id="main">
      <h1 className="page-title">{buyer ? t("pharmacy.po.title") : t("pharmacy.po.inbox")}</h1>
      <div className="rx-layout">
        {buyer && <NewOrder onCreated={() => orders.reload(1)} />}
        <section className="card" aria-labelledby="rx-orders">
          <h2 id="rx-orders">{t("pharmacy.po.title")}</h2>
          <PagedList
            page={orders}
            what={t("pharmacy.po.what")}
            empty={t("pharmacy.po.empty")}
            render={(o) => <OrderItem key={o.id} order={o} buyer={buyer} onChanged={() => orders.reload(0)} />}
          />
        </section>
      </div>
    </main>
  );
}

function NewOrder({ onCreated }: { onCreated: () => void }) {
  const id = useId();
  const [vendors, setVendors] = useState<{ id: string; name: string }[]>([]);
  const [vendor, setVendor] = useState("");
  const [products, setProducts] = useState<Product[]>([]);
  const [packs, setPacks] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [created, setCreated] = useState(false);

  useEffect(() => {
    let live = true;
    void outcome(api.GET("/api/v1/directory/organizations", { params: { query: { kind: "drug_vendor", limit: 200 } } })).then(
      (r) => {
        if (live && r.ok) setVendors(r.value.map((o) => ({ id: o.id, name: o.name })));
      },
    );
    return () => {
      live = false;
    };
  }, []);

  useEffect(() => {
    if (!vendor) return;
    let live = true;
    void outcome(api.GET("/api/v1/catalog/products", { params: { query: { vendor, available: true, limit: 200 } } })).then(
      (r) => {
        if (!live) return;
        if (r.ok) setProducts(r.value);
        else setError(problemDetail(r.problem, r.status));
      },
    );
    return () => {
      live = false;
    };
  }, [vendor]);

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setCreated(false);
    const lines = products.flatMap((p) => {
      const n = wholeNumber(packs[p.id] ?? "");
      return n === null ? [] : [{ product: p.id, quantity: n }];
    });
    if (!vendor || lines.length === 0) {
      setError(t("pharmacy.po.noLines"));
      return;
    }
    const result = await outcome(api.POST("/api/v1/purchase-orders", { body: { vendor, lines } }));
    if (result.ok) {
      setError("");
      setPacks({});
      setCreated(true);
      onCreated();
    } else setError(problemDetail(result.problem, result.status));
  }

  return (
    <section className="card" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t("pharmacy.po.newHeading")}</h2>
      <form onSubmit={(e) => void create(e)} noValidate>
        <div className="field">
          <label htmlFor={`${id}-vendor`}>{t("pharmacy.po.vendor")}</label>
          <select
            id={`${id}-vendor`}
            value={vendor}
            onChange={(e) => {
              setVendor(e.target.value);
              setProducts([]);
              setPacks({});
            }}
          >
            <option value="">{t("pharmacy.po.chooseVendor")}</option>
            {vendors.map((v) => (
              <option key={v.id} value={v.id}>
                {v.name}
              </option>
            ))}
          </select>
        </div>
        {products.map((p) => (
          <RxField
            key={p.id}
            label={t("pharmacy.po.packsOf", { name: p.name })}
            hint={`${t("pharmacy.cat.packWords", { strength: p.strength, form: p.form, pack: String(p.pack_size) })} · ${formatMoney(p.price)}`}
            inputMode="numeric"
            value={packs[p.id] ?? ""}
            onChange={(v) => setPacks({ ...packs, [p.id]: v })}
          />
        ))}
        {error && (
          <p className="alert" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary">
          {t("pharmacy.po.create")}
        </button>
        <RxStatus>{created ? t("pharmacy.po.created") : ""}</RxStatus>
      </form>
    </section>
  );
}

function OrderItem({ order, buyer, onChanged }: { order: Order; buyer: boolean; onChanged: () => void }) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function act(path: "send" | "cancel" | "accept") {
    setBusy(true);
    const params = { params: { path: { order_id: order.id } } };
    const call =
      path === "send"
        ? api.POST("/api/v1/purchase-orders/{order_id}/send", params)
        : path === "cancel"
          ? api.POST("/api/v1/purchase-orders/{order_id}/cancel", params)
          : api.POST("/api/v1/purchase-orders/{order_id}/accept", params);
    const result = await outcome(call);
    setBusy(false);
    if (result.ok) {
      setError("");
      onChanged();
    } else setError(problemDetail(result.problem, result.status));
  }

  const status = t(STATUS[order.status]);
  const receivable = buyer && (order.status === "accepted" || order.status === "partly_received");
  const nothingReceived = order.lines.every((l) => l.received === 0);
  const cancellable = buyer && ["draft", "sent", "accepted"].includes(order.status) && nothingReceived;
  return (
    <li className="item" data-testid="purchase-order">
      <h3 className="rx-item-title">
        {buyer ? order.vendor_name : order.pharmacy_name} <Badge tone={order.status === "cancelled" ? "revoked" : "active"}>{status}</Badge>
      </h3>
      <ul className="rx-lines">
        {order.lines.map((l) => (
          <li key={l.product}>
            {t("pharmacy.po.line", {
              name: l.name,
              received: String(l.received),
              quantity: String(l.quantity),
            })}
          </li>
        ))}
      </ul>
      <dl className="facts">
        <Fact term={t("pharmacy.po.total")}>{formatMoney(order.total)}</Fact>
      </dl>
      <div className="rx-actions">
        {buyer && order.status === "draft" && (
          <button type="button" className="primary" disabled={busy} onClick={() => void act("send")}>
            {t("pharmacy.po.send")}
          </button>
        )}
        {!buyer && order.status === "sent" && (
          <button type="button" className="primary" disabled={busy} onClick={() => void act("accept")}>
            {t("pharmacy.po.accept")}
          </button>
        )}
        {cancellable && (
          <button type="button" className="danger" disabled={busy} onClick={() => void act("cancel")}>
            {t("pharmacy.po.cancel")}
          </button>
        )}
      </div>
      {error && (
        <p className="alert" role="alert">
          {error}
        </p>
      )}
      {receivable && <Receive order={order} onReceived={onChanged} />}
    </li>
  );
}

type ReceiptLine = { lot: string; expiry: string; packs: string };

function Receive({ order, onReceived }: { order: Order; onReceived: () => void }) {
  const id = useId();
  const [lines, setLines] = useState<Record<string, ReceiptLine>>({});
  const [error, setError] = useState("");
  const [done, setDone] = useState(false);
  const open = order.lines.filter((l) => packsLeft(l) > 0);

  async function receive(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setDone(false);
    const body = open.flatMap((l) => {
      const typed = lines[l.product];
      const n = typed ? wholeNumber(typed.packs) : null;
      if (!typed || n === null) return [];
      return [{ product: l.product, lot_number: typed.lot.trim(), expiry: typed.expiry, quantity: n }];
    });
    if (body.length === 0 || body.some((b) => !b.lot_number || !b.expiry)) {
      setError(t("pharmacy.po.receiveInvalid"));
      return;
    }
    const result = await outcome(
      api.POST("/api/v1/purchase-orders/{order_id}/receipts", {
        params: { path: { order_id: order.id } },
        body: { lines: body },
      }),
    );
    if (result.ok) {
      setError("");
      setLines({});
      setDone(true);
      onReceived();
    } else setError(problemDetail(result.problem, result.status));
  }

  const set = (product: string, patch: Partial<ReceiptLine>) =>
    setLines({ ...lines, [product]: { lot: "", expiry: "", packs: "", ...lines[product], ...patch } });
  return (
    <form className="rx-receive" onSubmit={(e) => void receive(e)} noValidate aria-labelledby={`${id}-h`}>
      <h4 id={`${id}-h`}>{t("pharmacy.po.receiveHeading")}</h4>
      {open.map((l) => (
        <fieldset key={l.product} className="rx-row">
          <legend>{l.name}</legend>
          <RxField label={t("pharmacy.po.receiveLot", { name: l.name })} value={lines[l.product]?.lot ?? ""} onChange={(lot) => set(l.product, { lot })} />
          <RxField
            label={t("pharmacy.po.receiveExpiry", { name: l.name })}
            type="date"
            value={lines[l.product]?.expiry ?? ""}
            onChange={(expiry) => set(l.product, { expiry })}
          />
          <RxField
            label={t("pharmacy.po.receivePacks", { name: l.name })}
            inputMode="numeric"
            value={lines[l.product]?.packs ?? ""}
            onChange={(packs) => set(l.product, { packs })}
          />
        </fieldset>
      ))}
      {error && (
        <p className="alert" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="primary">
        {t("pharmacy.po.receive")}
      </button>
      <RxStatus>{done ? t("pharmacy.po.received_ok") : ""}</RxStatus>
    </form>
  );
}
