import { describe, expect, it } from "vitest";
import { ownerFromKey, ownerKey, resourceNameProblem, scheduleBodyFor } from "./schedOwner";

describe("whose time is scheduled", () => {
  it("keys a practitioner or a resource, and reads the key back", () => {
    expect(ownerKey({ practitioner: "a" })).toBe("p:a");
    expect(ownerKey({ resource: "b" })).toBe("r:b");
    expect(ownerFromKey("p:a")).toEqual({ practitioner: "a" });
    expect(ownerFromKey("r:b")).toEqual({ resource: "b" });
    expect(ownerFromKey("")).toBeNull();
    expect(ownerFromKey("x:1")).toBeNull();
  });

  it("makes the schedule body for either", () => {
    const form = { rows: [{ weekday: 0, start: "08:00", end: "12:00" }], slotMinutes: "30", timezone: " Asia/Kolkata ", validFrom: "2030-01-01", validTo: "" };
    expect(scheduleBodyFor({ practitioner: "p1" }, form)).toMatchObject({ practitioner: "p1", timezone: "Asia/Kolkata", slot_minutes: 30 });
    const forRoom = scheduleBodyFor({ resource: "r1" }, form);
    expect(forRoom).toMatchObject({ resource: "r1", practitioner: null, valid_to: null });
  });

  it("checks a resource's name", () => {
    expect(resourceNameProblem("  ")).toBe("empty");
    expect(resourceNameProblem("x".repeat(201))).toBe("long");
    expect(resourceNameProblem("Operating room 2")).toBe("");
  });
});
