import { describe, expect, it } from "vitest";
import { categoryScope, DEFAULT_VISIT_CATEGORIES, defaultVisitUntil, VISIT_CATEGORIES, visitGrantProblem } from "./bookingGrant";
import { dayOf } from "./sharing";

describe("sharing records for a visit", () => {
  const visit = new Date(2030, 2, 10, 9, 30).toISOString();
  const now = new Date(2030, 2, 1, 12, 0);

  it("offers the categories one by one, a few chosen", () => {
    expect(VISIT_CATEGORIES).not.toContain("all");
    expect(VISIT_CATEGORIES).toContain("lab");
    for (const c of DEFAULT_VISIT_CATEGORIES) expect(VISIT_CATEGORIES).toContain(c);
    expect(categoryScope("lab")).toBe("category:lab");
  });

  it("lasts until a week after the visit by default", () => {
    expect(defaultVisitUntil(visit)).toBe(dayOf(new Date(2030, 2, 17)));
  });

  it("says why it cannot be signed", () => {
    expect(visitGrantProblem([], "2030-03-17", visit, now)).toBe("noCategory");
    expect(visitGrantProblem(["lab"], "", visit, now)).toBe("until");
    expect(visitGrantProblem(["lab"], "2030-02-28", visit, now)).toBe("future");
    expect(visitGrantProblem(["lab"], "2030-03-05", visit, now)).toBe("beforeVisit");
    expect(visitGrantProblem(["lab"], "2030-03-10", visit, now)).toBe("");
  });
});
