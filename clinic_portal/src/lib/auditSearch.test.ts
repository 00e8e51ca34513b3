import { describe, expect, it } from "vitest";
import { asPurpose, auditQuery, boundTime, entryTime, localInstant, NO_FILTERS, queryKey } from "./auditSearch";

describe("the auditor's search of the access log", () => {
  it("asks for everything when nothing is filled in", () => {
    expect(auditQuery(NO_FILTERS)).toEqual({ ok: true, query: {} });
  });

  it("sends the patient's UHID as 14 digits, however it was typed", () => {
    expect(auditQuery({ ...NO_FILTERS, patient: " 55-2372-9455-9780 " })).toEqual({
      ok: true,
      query: { patient: "55237294559780" },
    });
    expect(auditQuery({ ...NO_FILTERS, patient: "55 2372 9455 9780", outcome: "denied" })).toEqual({
      ok: true,
      query: { patient: "55237294559780", outcome: "denied" },
    });
  });

  it("refuses a UHID that is not 14 digits before asking the service", () => {
    expect(auditQuery({ ...NO_FILTERS, patient: "12-34", outcome: "granted" })).toEqual({
      ok: false,
      problems: [{ field: "patient", problem: "not-a-uhid" }],
    });
    expect(auditQuery({ ...NO_FILTERS, patient: "Priya" }).ok).toBe(false);
  });

  it("sends the accessor's UHID as 14 digits, and refuses one that is not, on its own field", () => {
    expect(auditQuery({ ...NO_FILTERS, accessor: "12 3456 7890 1234" })).toEqual({
      ok: true,
      query: { accessor: "12345678901234" },
    });
    expect(auditQuery({ ...NO_FILTERS, accessor: "Dr. Khan" })).toEqual({
      ok: false,
      problems: [{ field: "accessor", problem: "not-a-uhid" }],
    });
    // Both wrong: both told, each next to its own field.
    expect(auditQuery({ ...NO_FILTERS, patient: "1", accessor: "2" })).toEqual({
      ok: false,
      problems: [
        { field: "patient", problem: "not-a-uhid" },
        { field: "accessor", problem: "not-a-uhid" },
      ],
    });
  });

  it("sends the purpose chosen, and knows only the service's purposes", () => {
    expect(auditQuery({ ...NO_FILTERS, purpose: "research" })).toEqual({ ok: true, query: { purpose: "research" } });
    expect(asPurpose("claim")).toBe("claim");
    expect(asPurpose("emergency")).toBe("emergency");
    expect(asPurpose("")).toBe("");
    expect(asPurpose("marketing")).toBe("");
  });

  it("turns local wall times into instants with an offset, the range [from, to)", () => {
    const from = "2026-11-30T09:15";
    const to = "2026-11-30T17:45:30";
    const checked = auditQuery({ ...NO_FILTERS, from, to });
    // new Date reads a datetime-local value as local time, whatever the machine's time zone.
    expect(checked).toEqual({
      ok: true,
      query: { since: new Date(from).toISOString(), until: new Date(to).toISOString() },
    });
    if (!checked.ok) return;
    expect(checked.query.since).toMatch(/Z$/); // an offset: the service refuses a naive time
    expect(new Date(checked.query.since ?? "").getHours()).toBe(9);
    expect(new Date(checked.query.since ?? "").getMinutes()).toBe(15);
  });

  it("takes an open-ended range on either side", () => {
    const at = "2026-01-02T03:04";
    expect(auditQuery({ ...NO_FILTERS, from: at })).toEqual({ ok: true, query: { since: new Date(at).toISOString() } });
    expect(auditQuery({ ...NO_FILTERS, to: at })).toEqual({ ok: true, query: { until: new Date(at).toISOString() } });
  });

  it("refuses a `to` that is not after `from`, as a problem of `to`", () => {
    expect(auditQuery({ ...NO_FILTERS, from: "2026-11-30T10:00", to: "2026-11-30T09:59" })).toEqual({
      ok: false,
      problems: [{ field: "to", problem: "not-after-from" }],
    });
    expect(auditQuery({ ...NO_FILTERS, from: "2026-11-30T10:00", to: "2026-11-30T10:00" })).toEqual({
      ok: false,
      problems: [{ field: "to", problem: "not-after-from" }],
    });
  });

  it("refuses something that is not a datetime-local value", () => {
    expect(localInstant("2026-11-30T10:00")).toEqual(new Date("2026-11-30T10:00"));
    expect(localInstant("2026-11-30T10:00Z")).toBeNull(); // already has an offset: not from the input
    expect(localInstant("30/11/2026 10:00")).toBeNull();
    expect(localInstant("2026-13-45T10:00")).toBeNull();
    expect(auditQuery({ ...NO_FILTERS, from: "yesterday", to: "2026-11-30T10:00" })).toEqual({
      ok: false,
      problems: [{ field: "from", problem: "not-a-time" }],
    });
  });

  it("gives each search its own key, and the same search the same key", () => {
    expect(queryKey({ patient: "1", outcome: "granted" })).toBe(queryKey({ outcome: "granted", patient: "1" }));
    expect(queryKey({ patient: "1" })).not.toBe(queryKey({ patient: "1", outcome: "denied" }));
    expect(queryKey({})).not.toBe(queryKey({ outcome: "granted" }));
    expect(queryKey({ patient: "1" })).not.toBe(queryKey({ accessor: "1" }));
    expect(queryKey({})).not.toBe(queryKey({ purpose: "treatment" }));
    expect(queryKey({ since: "2026-11-30T10:00:00.000Z" })).not.toBe(queryKey({ until: "2026-11-30T10:00:00.000Z" }));
    expect(queryKey({ since: "2026-11-30T10:00:00.000Z" })).not.toBe(queryKey({ since: "2026-11-30T11:00:00.000Z" }));
  });

  it("shows when an access happened in the person's time zone, naming the zone", () => {
    const at = "2026-11-30T10:10:05.123456Z";
    expect(entryTime(at, "en-GB", "Asia/Kolkata")).toMatch(/30 Nov 2026.*15:40:05.*(IST|GMT\+5:30)/);
    expect(entryTime(at, "en-GB", "UTC")).toMatch(/10:10:05.*UTC/);
    // A time the API wrote without an offset is UTC.
    expect(entryTime("2026-11-30T10:10:05", "en-GB", "UTC")).toMatch(/10:10:05/);
    expect(entryTime("not a time", "en-GB")).toBe("not a time");
  });

  it("words a searched-for bound to the minute in the person's time zone", () => {
    expect(boundTime("2026-11-30T10:10:00.000Z", "en-GB", "Asia/Kolkata")).toMatch(/30 Nov 2026.*15:40/);
    expect(boundTime("nonsense", "en-GB")).toBe("nonsense");
  });
});
