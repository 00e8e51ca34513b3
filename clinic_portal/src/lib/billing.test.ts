import { describe, expect, it } from "vitest";
import {
  buildCharge,
  buildCoverage,
  buildCreditLines,
  deskActions,
  EMPTY_CHARGE,
  forgetPendingPayment,
  idParameter,
  invoiceStatusBadge,
  isPayable,
  keepKeyForRetry,
  newIdempotencyKey,
  pendingPayment,
  rememberPendingPayment,
  troubleOf,
  type InvoiceOut,
  type LineOut,
} from "./billing";

const inr = (amount: string) => ({ amount, currency: "INR" });

function line(id: string, amount: string, description = "Consultation"): LineOut {
  return {
    id,
    description,
    code: null,
    department: null,
    service_date: "2026-11-30",
    quantity: 1,
    unit_price: inr(amount),
    tax_rate: "0",
    net: inr(amount),
    tax: inr("0.00"),
    amount: inr(amount),
    credit_of: null,
    manual_reason: null,
  };
}

function invoice(over: Partial<InvoiceOut> = {}): InvoiceOut {
  return {
    id: "inv-1",
    kind: "invoice",
    number: "INV-2026-000001",
    status: "issued",
    currency: "INR",
    patient: "38426650028792",
    organization: { id: "org-1", name: "City General Hospital" },
    lines: [line("l1", "500.00")],
    net_total: inr("500.00"),
    tax_total: inr("0.00"),
    total: inr("500.00"),
    paid_total: inr("0.00"),
    insurer_total: inr("0.00"),
    credited_total: inr("0.00"),
    balance: inr("500.00"),
    issued_at: "2026-11-30T10:00:00Z",
    credit_of: null,
    reason: null,
    created_at: "2026-11-30T09:00:00Z",
    ...over,
  };
}

class MemoryStorage implements Storage {
  private items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  clear() {
    this.items.clear();
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  key(index: number) {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
}

describe("invoice statuses and desk actions", () => {
  it("names every status", () => {
    expect(invoiceStatusBadge("partly_paid")).toEqual({ label: "Partly paid", tone: "pending" });
    expect(invoiceStatusBadge("paid").tone).toBe("active");
  });

  it("lets a draft take charges and be issued once it has lines", () => {
    const draft = invoice({ status: "draft", number: null, lines: [] });
    expect(deskActions(draft)).toMatchObject({ addCharge: true, issue: false, pay: false, pdf: false, claim: false });
    expect(deskActions({ ...draft, lines: [line("l1", "1.00")] }).issue).toBe(true);
  });

  it("voids only an issued invoice nothing was paid, settled or credited on", () => {
    expect(deskActions(invoice()).void).toBe(true);
    expect(deskActions(invoice({ status: "partly_paid", paid_total: inr("100.00"), balance: inr("400.00") })).void).toBe(false);
    expect(deskActions(invoice({ insurer_total: inr("1.00") })).void).toBe(false);
  });

  it("takes payments only while a balance is owed", () => {
    expect(isPayable(invoice())).toBe(true);
    expect(isPayable(invoice({ status: "paid", balance: inr("0.00") }))).toBe(false);
    expect(isPayable(invoice({ status: "void" }))).toBe(false);
    expect(deskActions(invoice({ status: "paid", balance: inr("0.00") }))).toMatchObject({ pay: false, credit: false, pdf: true });
  });
});

describe("idempotency keys", () => {
  it("keeps the key when the answer never came or the service failed", () => {
    expect(keepKeyForRetry(0)).toBe(true);
    expect(keepKeyForRetry(503)).toBe(true);
    expect(keepKeyForRetry(409)).toBe(false);
    expect(keepKeyForRetry(422)).toBe(false);
    expect(keepKeyForRetry(201)).toBe(false);
  });

  it("makes UUIDs, with or without randomUUID", () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(newIdempotencyKey()).toMatch(uuid);
    const noRandomUuid = { getRandomValues: crypto.getRandomValues.bind(crypto) } as unknown as Crypto;
    const a = newIdempotencyKey(noRandomUuid);
    expect(a).toMatch(uuid);
    expect(newIdempotencyKey(noRandomUuid)).not.toBe(a);
  });
});

describe("the payment left for at the checkout", () => {
  it("is remembered in the tab and forgotten", () => {
    const store = new MemoryStorage();
    expect(pendingPayment(store)).toBeNull();
    rememberPendingPayment(store, { intent: "i-1", invoice: "inv-1" });
    expect(pendingPayment(store)).toEqual({ intent: "i-1", invoice: "inv-1" });
    forgetPendingPayment(store);
    expect(pendingPayment(store)).toBeNull();
    store.setItem("ohms.portal.pendingPayment", "{not json");
    expect(pendingPayment(store)).toBeNull();
    expect(pendingPayment(null)).toBeNull();
  });

  it("reads the invoice and the intent from the screen's address", () => {
    const id = "6f1c9d52-3a0e-4c57-9d8e-0b7d3f1e2a41";
    const params = new URLSearchParams(`invoice=${id}&intent=${id.toUpperCase()}`);
    expect(idParameter(params, "invoice")).toBe(id);
    expect(idParameter(params, "intent")).toBe(id.toUpperCase());
    expect(idParameter(new URLSearchParams("intent=javascript:alert(1)"), "intent")).toBeNull();
    expect(idParameter(new URLSearchParams("intent=------------------------------------"), "intent")).toBeNull();
    expect(idParameter(new URLSearchParams(""), "invoice")).toBeNull();
  });
});

describe("forms", () => {
  it("builds a manual charge with the tax rate as a fraction", () => {
    const built = buildCharge(
      "38426650028792",
      { description: " Physiotherapy ", code: "PT-01", quantity: "2", unitPrice: "750", taxPercent: "18", reason: "Desk" },
      "INR",
    );
    expect(built).toEqual({
      ok: true,
      value: {
        patient: "38426650028792",
        description: "Physiotherapy",
        code: { system: "urn:ohms:local-service", code: "PT-01", display: "Physiotherapy" },
        quantity: 2,
        unit_price: { amount: "750", currency: "INR" },
        tax_rate: "0.18",
        reason: "Desk",
      },
    });
  });

  it("says what is wrong with a charge, the reason included", () => {
    const built = buildCharge("1", { ...EMPTY_CHARGE, quantity: "0", unitPrice: "1.23456", taxPercent: "100" }, "INR");
    expect(built.ok).toBe(false);
    if (!built.ok) expect(built.errors.map((e) => e.field)).toEqual(["description", "quantity", "unitPrice", "taxPercent", "reason"]);
  });

  it("builds a coverage with the co-insurance as a fraction", () => {
    const built = buildCoverage(
      {
        insurer: "org-9",
        memberId: "ARJ-2026-77",
        plan: "Gold",
        validFrom: "2026-01-01",
        validTo: "2026-12-31",
        copay: "100",
        coinsurancePercent: "12.5",
      },
      "INR",
    );
    expect(built.ok && built.value).toMatchObject({ copay: { amount: "100.00", currency: "INR" }, coinsurance: "0.125" });
    const reversed = buildCoverage(
      { insurer: "", memberId: "x y", plan: "", validFrom: "2026-12-31", validTo: "2026-01-01", copay: "1.234", coinsurancePercent: "101" },
      "INR",
    );
    expect(reversed.ok).toBe(false);
    if (!reversed.ok) expect(reversed.errors.map((e) => e.field)).toEqual(["insurer", "memberId", "plan", "validTo", "copay", "coinsurance"]);
  });

  it("credits chosen lines, never above a line's amount", () => {
    const lines = [line("a", "500.00", "Visit"), line("b", "200.00", "Test")];
    expect(buildCreditLines(lines, { a: "100", b: "" })).toEqual({ ok: true, value: [{ charge: "a", amount: inr("100.00") }] });
    const above = buildCreditLines(lines, { b: "200.01" });
    expect(above.ok).toBe(false);
    expect(buildCreditLines(lines, {}).ok).toBe(false);
  });

  it("leads a refusal with its one problem, or a summary of several", () => {
    expect(troubleOf([{ field: "a", message: "One." }])).toEqual({ lead: "One.", lines: [], fields: ["a"] });
    expect(troubleOf([{ field: "a", message: "One." }, { field: "b", message: "Two." }]).lines).toEqual(["One.", "Two."]);
  });
});
