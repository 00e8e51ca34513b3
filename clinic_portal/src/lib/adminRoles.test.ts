import { describe, expect, it } from "vitest";
import { assignableRoles, buildMatrix, isChanged, permissionsBody, toggled, type RoleRow } from "./adminRoles";

const CATALOGUE = [
  { name: "consent:grant", description: "Grant and revoke access to one's own records" },
  { name: "patient:read", description: "Look up a patient's demographics by UHID" },
  { name: "role:update", description: "Change the permissions of the organisation's roles" },
];

const ROWS: RoleRow[] = [
  { role: "patient", permissions: ["consent:grant"], configurable: false },
  { role: "physician", permissions: ["patient:read"], configurable: true },
  { role: "nurse", permissions: ["patient:read"], configurable: true },
  { role: "radiologist", permissions: ["patient:read"], configurable: true },
  { role: "insurer", permissions: [], configurable: true },
  { role: "org_admin", permissions: ["role:update", "legacy:thing"], configurable: true },
  { role: "system_admin", permissions: ["consent:grant", "patient:read", "role:update"], configurable: false },
];

describe("the role-by-permission matrix", () => {
  it("shows the roles the organisation may give, in the service's order, by every permission", () => {
    const m = buildMatrix(ROWS, CATALOGUE, "clinic");
    expect(m.roles.map((r) => r.role)).toEqual(["physician", "nurse", "org_admin"]);
    expect(m.permissions.map((p) => p.name)).toEqual(["consent:grant", "patient:read", "role:update", "legacy:thing"]);
    expect(m.cells[1]!.map((c) => c.held)).toEqual([true, true, false]);
    expect(m.cells[2]!.map((c) => c.held)).toEqual([false, false, true]);
    // A permission the catalogue does not describe shows by its name.
    expect(m.cells[3]![2]).toMatchObject({ held: true, description: "legacy:thing" });
  });

  it("shows every configurable role when the organisation's kind is unknown", () => {
    const m = buildMatrix(ROWS, CATALOGUE, undefined);
    expect(m.roles.map((r) => r.role)).toEqual(["physician", "nurse", "radiologist", "insurer", "org_admin"]);
  });

  it("never offers a permission no organisation may give", () => {
    const m = buildMatrix(ROWS, CATALOGUE, "hospital");
    expect(m.cells[0]!.every((c) => !c.editable)).toBe(true);
    expect(m.cells[1]!.every((c) => c.editable)).toBe(true);
  });

  it("shows the unsaved changes in place of the saved permissions", () => {
    const nurse = ROWS.find((r) => r.role === "nurse")!;
    const draft = toggled(new Map(), nurse.permissions, "nurse", "patient:read", false);
    const m = buildMatrix(ROWS, CATALOGUE, "hospital", draft);
    const nurseColumn = m.roles.findIndex((r) => r.role === "nurse");
    expect(m.cells[1]![nurseColumn]!.held).toBe(false);
    expect(isChanged(draft.get("nurse"), nurse.permissions)).toBe(true);
    const back = toggled(draft, nurse.permissions, "nurse", "patient:read", true);
    expect(isChanged(back.get("nurse"), nurse.permissions)).toBe(false);
    expect(isChanged(undefined, nurse.permissions)).toBe(false);
    expect(draft.get("nurse")).not.toBe(back.get("nurse")); // a new set: React sees the change
  });

  it("sends a role's permissions sorted", () => {
    expect(permissionsBody(new Set(["role:update", "access:check", "patient:read"]))).toEqual({
      permissions: ["access:check", "patient:read", "role:update"],
    });
  });

  it("offers a hospital's and a pharmacy's staff roles", () => {
    expect(assignableRoles("hospital")).toContain("radiologist");
    expect(assignableRoles("pharmacy")).toEqual(["pharmacist", "org_admin", "helpdesk", "auditor"]);
    expect(assignableRoles("starship", ["nurse"])).toEqual(["nurse"]);
  });
});
