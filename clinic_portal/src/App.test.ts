import { describe, expect, it } from "vitest";
import { homeFor } from "./App";

describe("which home a person sees", () => {
  it("patients see their records; staff with patient:read a patient search; others neither", () => {
    expect(homeFor({ roles: ["patient"], permissions: ["record:read"] })).toBe("patient");
    expect(homeFor({ roles: ["physician"], permissions: ["patient:read", "record:read"] })).toBe("staff");
    expect(homeFor({ roles: ["org_admin"], permissions: ["member:read"] })).toBe("other");
    expect(homeFor({ roles: ["auditor"], permissions: ["audit:read"] })).toBe("other");
  });
});
