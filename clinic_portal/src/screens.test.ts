import { describe, expect, it } from "vitest";
import { screenFromHash, screensFor } from "./screens";
import { catalog } from "./i18n/catalog";
import { tIn } from "./i18n";

const ids = (roles: string[], permissions: string[]) => screensFor({ roles, permissions }).map((s) => s.id);

describe("screensFor", () => {
  it("gives patients their own health and nothing of staff", () => {
    expect(ids(["patient"], ["record:read", "audit:read", "consent:grant"])).toEqual(["health"]);
  });
  it("gives clinicians the patient finder, and lab and radiology staff the results screen", () => {
    expect(ids(["physician"], ["patient:read", "record:read", "record:write"])).toEqual(["patients"]);
    expect(ids(["lab_technician"], ["patient:read", "record:write"])).toEqual(["results"]);
    expect(ids(["radiologist"], ["patient:read", "record:write"])).toEqual(["results"]);
  });
  it("follows the permissions, not the role: a removed permission removes the screen", () => {
    expect(ids(["physician"], ["record:read"])).toEqual([]);
    expect(ids(["lab_technician"], ["patient:read"])).toEqual(["patients"]);
    expect(ids(["org_admin"], ["member:read", "role:read"])).toEqual(["members", "roles"]);
    expect(ids(["org_admin"], ["member:read"])).toEqual(["members"]);
    expect(ids(["auditor"], ["audit:read", "member:read", "role:read"])).toEqual(["audit", "members", "roles"]);
  });
  it("gives the system administrator the organisations, and platform auditors the whole log", () => {
    expect(ids(["system_admin"], ["organization:create", "member:read", "role:read", "audit:read"])).toEqual([
      "organisations",
    ]);
    expect(ids(["platform_auditor"], ["audit:read"])).toEqual(["audit"]);
  });
});

describe("screenFromHash", () => {
  const screens = screensFor({ roles: ["auditor"], permissions: ["audit:read", "member:read"] });
  it("opens the screen the address names, else the first", () => {
    expect(screenFromHash("#/members", screens)).toBe("members");
    expect(screenFromHash("", screens)).toBe("audit");
    expect(screenFromHash("#/organisations", screens)).toBe("audit");
    expect(screenFromHash("#/members", [])).toBeNull();
  });
});

describe("the message catalogue", () => {
  it("has every message in both languages, none empty, with the same placeholders", () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(catalog.en) as (keyof typeof catalog.en)[]) {
      expect(catalog.hi[key], key).toBeTruthy();
      expect(placeholders(catalog.hi[key]), key).toEqual(placeholders(catalog.en[key]));
    }
    expect(Object.keys(catalog.hi).sort()).toEqual(Object.keys(catalog.en).sort());
  });
  it("fills placeholders", () => {
    expect(tIn("en", "common.loading", { what: "records" })).toBe("Loading records…");
    expect(tIn("hi", "common.showMore", { what: "रिकॉर्ड" })).toBe("और रिकॉर्ड दिखाएँ");
  });
});

describe("the scheduling screens", () => {
  const patient = ["directory:read", "consent:grant", "audit:read", "appointment:book", "appointment:read", "record:read"];
  const practice = ["schedule:write", "appointment:manage", "appointment:read"];
  it("gives patients who may book their appointments after their health", () => {
    expect(ids(["patient"], patient)).toEqual(["health", "appointments"]);
    expect(ids(["patient"], patient.filter((p) => p !== "appointment:book"))).toEqual(["health"]);
  });
  it("gives practitioners their calendar and their own schedule", () => {
    expect(ids(["physician"], ["patient:read", "record:read", "record:write", ...practice])).toEqual([
      "patients",
      "calendar",
      "schedules",
    ]);
    expect(ids(["nurse"], ["appointment:read", "appointment:manage"])).toEqual(["calendar"]);
    expect(ids(["physician"], ["appointment:read"])).toEqual([]);
  });
  it("gives the helpdesk bookings and schedules, not a calendar of their own", () => {
    expect(ids(["helpdesk"], ["patient:read", "member:read", "appointment:book", ...practice])).toEqual([
      "patients",
      "members",
      "bookings",
      "schedules",
    ]);
    expect(ids(["helpdesk"], ["appointment:manage", "appointment:read"])).toEqual([]);
  });
  it("gives the organisation's administrators schedules (schedule:write) but not bookings without appointment:book", () => {
    expect(ids(["org_admin"], ["member:read", "role:read", ...practice])).toEqual(["members", "roles", "schedules"]);
    expect(ids(["org_admin"], ["member:read", "appointment:read"])).toEqual(["members"]);
  });
  it("gives no scheduling screen to roles outside an organisation's practice", () => {
    expect(ids(["auditor"], ["audit:read", "appointment:read"])).toEqual(["audit"]);
    expect(ids(["platform_auditor"], ["audit:read", "schedule:write", "appointment:read"])).toEqual(["audit"]);
  });
});

describe("the pharmacy screens", () => {
  it("gives pharmacists the queue, stock and purchase orders, vendors their orders and catalogue", () => {
    const pharmacist = ["patient:read", "record:read", "prescription:read", "dispense:write", "catalog:read"];
    const stock = ["inventory:read", "inventory:write", "purchase_order:read", "purchase_order:write"];
    expect(ids(["pharmacist"], [...pharmacist, ...stock])).toEqual(["patients", "prescriptions", "stock", "purchase-orders"]);
    expect(ids(["drug_vendor"], ["directory:read", "catalog:read", "catalog:write", "purchase_order:read", "purchase_order:accept"])).toEqual([
      "purchase-orders",
      "catalogue",
    ]);
  });
  it("gives patients their prescriptions, and prescribers none of these screens", () => {
    expect(ids(["patient"], ["record:read", "prescription:read"])).toEqual(["health", "prescriptions"]);
    expect(ids(["physician"], ["patient:read", "record:read", "prescription:read", "prescription:write", "catalog:read"])).toEqual([
      "patients",
    ]);
  });
});

describe("the orders screens", () => {
  it("gives lab and radiology staff who perform orders their work list", () => {
    expect(ids(["lab_technician"], ["patient:read", "record:write", "order:perform", "order:read"])).toEqual([
      "results",
      "worklist",
    ]);
    expect(ids(["radiologist"], ["order:read"])).toEqual([]);
  });
  it("gives patients their orders and physicians the orders they placed", () => {
    expect(ids(["patient"], ["order:read"])).toEqual(["health", "orders"]);
    expect(screensFor({ roles: ["patient"], permissions: ["order:read"] })[1]?.title).toBe("orders.nav.mine");
    expect(screensFor({ roles: ["physician"], permissions: ["order:place", "order:read"] })[0]?.title).toBe("orders.nav.placed");
    expect(ids(["physician"], ["order:place"])).toEqual([]);
  });
  it("opens a screen whose address carries parameters", () => {
    const screens = screensFor({ roles: ["radiologist"], permissions: ["patient:read", "record:write", "order:perform", "order:read"] });
    expect(screenFromHash("#/worklist?uhid=1234", screens)).toBe("worklist");
  });
});
