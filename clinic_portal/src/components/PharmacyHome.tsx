// "Prescriptions": for a pharmacist, the pharmacy's queue (oldest first) with what is left to
// dispense and the lot to use first, dispensed fully or in part from a chosen lot; for a
// patient, their own prescriptions with what was dispensed.

import { useEffect, useId, useState, type FormEvent } from "react";
import { api, type Me } from "../api/client";
import type { components } from "../api/schema";
import { t, useI18n, type MessageKey } from "../i18n";
import { formatUhid, problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import { allergyCheckInWords, firstExpiryFirst, formatDay, wholeNumber } from "../lib/pharmacy";
import { usePaged } from "../lib/usePaged";
import { Badge, Fact, PagedList } from "./common";
import { RxStatus } from "./PharmacyParts";

type Prescription = components["schemas"]["PrescriptionOut"];
type Lot = components["schemas"]["LotOut"];
type Item = components["schemas"]["ItemOut"];

const STATUS: Record<Prescription["status"], MessageKey> = {
  active: "pharmacy.status.active",
  completed: "pharmacy.status.completed",
};

export function PharmacyHome({ me }: { me: Me }) {
  useI18n();
  return me.roles.includes("patient") ? <MyPrescriptions /> : <PharmacyQueue />;
}

function MyPrescriptions() {
  const list = usePaged<Prescription>("mine", (offset, limit) =>
    outcome(api.GET("/api/v1/prescriptions", { params: { query: { limit, offset } } })),
  );
  // Prescriptions name their pharmacy by id: the directory gives its name.
  const [pharmacies, setPharmacies] = useState<Record<string, string>>({});
  useEffect(() => {
    let live = true;
    void outcome(api.GET("/api/v1/directory/organizations", { params: { query: { kind: "pharmacy", limit: 200 } } })).then(
      (r) => {
        if (live && r.ok) setPharmacies(Object.fromEntries(r.value.map((o) => [o.id, o.name])));
      },
    );
    return () => {
      live = false;
    };
  }, []);
  return (
    <main className="content" id="main">
      <h1 className="page-title">{t("pharmacy.mine.title")}</h1>
      <PagedList
          page={list}
          what={t("pharmacy.queue.what")}
          empty={t("pharmacy.mine.empty")}
          render={(p) => (
            <li key={p.id} className="item">
              <h2 className="rx-item-title">
                {p.medication.display} <Badge tone={p.status === "active" ? "active" : "other"}>{t(STATUS[p.status])}</Badge>
              </h2>
              <dl className="facts">
                <Fact term={t("pharmacy.queue.dosage")}>{p.dosage}</Fact>
                {pharmacies[p.pharmacy] && <Fact term={t("pharmacy.rx.pharmacy")}>{pharmacies[p.pharmacy]}</Fact>}
                <Fact term={t("pharmacy.queue.dispensed")}>
                  {t("pharmacy.mine.dispensedOf", { dispensed: String(p.dispensed), total: String(p.dispensed + p.remaining) })}
                </Fact>
                <Fact term={t("pharmacy.queue.prescribed")}>{formatDay(p.created_at.slice(0, 10))}</Fact>
              </dl>
            </li>
          )}
        />
    </main>
  );
}

function PharmacyQueue() {
  const queue = usePaged<Prescription>("queue", (offset, limit) =>
    outcome(api.GET("/api/v1/prescriptions", { params: { query: { status: "active", limit, offset } } })),
  );
  // The stock's items, to list the lots of each prescription's medication.
  const [items, setItems] = useState<Item[]>([]);
  const [stockVersion, setStockVersion] = useState(0);
  useEffect(() => {
    let live = true;
    void outcome(api.GET("/api/v1/inventory/items", { params: { query: { limit: 200 } } })).then((r) => {
      if (live && r.ok) setItems(r.value);
    });
    return () => {
      live = false;
    };
  }, [stockVersion]);

  return (
    <main className="content" id="main">
      <h1 className="page-title">{t("pharmacy.queue.title")}</h1>
      <p className="muted">{t("pharmacy.queue.intro")}</p>
      <PagedList
        page={queue}
        what={t("pharmacy.queue.what")}
        empty={t("pharmacy.queue.empty")}
        render={(p) => (
          <QueueItem
            key={p.id}
            p={p}
            item={items.find((i) => i.medication.code === p.medication.code && i.medication.system === p.medication.system)}
            stockVersion={stockVersion}
            onDispensed={() => {
              setStockVersion((n) => n + 1);
              queue.reload(0);
            }}
          />
        )}
      />
    </main>
  );
}

function QueueItem({
  p,
  item,
  stockVersion,
  onDispensed,
}: {
  p: Prescription;
  item: Item | undefined;
  stockVersion: number;
  onDispensed: () => void;
}) {
  const id = useId();
  const [lots, setLots] = useState<Lot[]>([]);
  const [lot, setLot] = useState(p.suggested_lot?.id ?? "");
  const [quantity, setQuantity] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState("");
  const itemId = item?.id;
  // After a dispense the queue reloads: follow its new suggestion (state adjusted in render).
  const [shownSuggested, setShownSuggested] = useState(p.suggested_lot?.id);
  if (shownSuggested !== p.suggested_lot?.id) {
    setShownSuggested(p.suggested_lot?.id);
    setLot(p.suggested_lot?.id ?? "");
  }

  useEffect(() => {
    if (!itemId) return;
    let live = true;
    void outcome(
      api.GET("/api/v1/inventory/items/{item_id}/lots", { params: { path: { item_id: itemId }, query: { limit: 200 } } }),
    ).then((r) => {
      if (live && r.ok) setLots(firstExpiryFirst(r.value));
    });
    return () => {
      live = false;
    };
  }, [itemId, stockVersion]);

  async function dispense(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setDone("");
    const n = wholeNumber(quantity);
    if (n === null) {
      setError(t("pharmacy.queue.quantityInvalid"));
      return;
    }
    setBusy(true);
    setError("");
    const result = await outcome(
      api.POST("/api/v1/prescriptions/{prescription_id}/dispenses", {
        params: { path: { prescription_id: p.id } },
        body: { lot, quantity: n },
      }),
    );
    setBusy(false);
    if (result.ok) {
      const used = lots.find((l) => l.id === lot);
      setDone(
        t("pharmacy.queue.done", {
          quantity: String(result.value.quantity),
          left: String(result.value.lot_quantity_left),
          lot: used?.lot_number ?? "",
        }),
      );
      setQuantity("");
      onDispensed();
    } else {
      setError(problemDetail(result.problem, result.status));
    }
  }

  // The suggested lot is offered even before the stock's lots have loaded.
  const choices = lots.length
    ? lots
    : p.suggested_lot
      ? [{ ...p.suggested_lot, dispensable: true, expired: false, recalled: false } as Lot]
      : [];
  const suggested = p.suggested_lot;
  return (
    <li className="item rx-queue-item">
      <h2 className="rx-item-title">{p.medication.display}</h2>
      <dl className="facts">
        <Fact term={t("pharmacy.queue.patient")}>
          {p.patient_name} ({formatUhid(p.patient)})
        </Fact>
        <Fact term={t("pharmacy.queue.dosage")}>{p.dosage}</Fact>
        <Fact term={t("pharmacy.queue.remaining")}>{p.remaining}</Fact>
        <Fact term={t("pharmacy.queue.dispensed")}>{p.dispensed}</Fact>
        <Fact term={t("pharmacy.queue.suggested")}>
          {suggested
            ? t("pharmacy.queue.lotWords", {
                lot: suggested.lot_number,
                expiry: formatDay(suggested.expiry),
                quantity: String(suggested.quantity),
              })
            : t("pharmacy.queue.noLot")}
        </Fact>
      </dl>
      <p className="muted">{allergyCheckInWords(p.allergy_check)}</p>
      <form className="rx-dispense" onSubmit={(e) => void dispense(e)} noValidate>
        <div className="field">
          <label htmlFor={`${id}-lot`}>{t("pharmacy.queue.lot")}</label>
          <select
            id={`${id}-lot`}
            value={lot}
            onChange={(e) => setLot(e.target.value)}
            aria-describedby={error ? `${id}-error` : undefined}
          >
            {!lot && <option value="">—</option>}
            {choices.map((l) => (
              <option key={l.id} value={l.id}>
                {/* Short: a phone's select shows one line and cuts the rest; the label says
                    what the numbers are. */}
                {t("pharmacy.queue.lotOption", { lot: l.lot_number, expiry: formatDay(l.expiry), quantity: String(l.quantity) })}
                {l.expired ? ` · ${t("pharmacy.stock.expired")}` : ""}
                {l.recalled ? ` · ${t("pharmacy.stock.recalled")}` : ""}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-qty`}>{t("pharmacy.queue.quantity")}</label>
          <input
            id={`${id}-qty`}
            inputMode="numeric"
            autoComplete="off"
            value={quantity}
            onChange={(e) => setQuantity(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${id}-error` : undefined}
          />
        </div>
        {error && (
          <p className="alert" role="alert" id={`${id}-error`}>
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy || !lot} aria-busy={busy}>
          {busy ? t("pharmacy.queue.dispensing") : t("pharmacy.queue.dispense")}
        </button>
      </form>
      <RxStatus>{done}</RxStatus>
    </li>
  );
}
