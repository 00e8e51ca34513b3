import { describe, expect, it } from "vitest";
import {
  accountLinkHash,
  changedPreferences,
  newPasswordProblems,
  orderedKinds,
  publicAccountScreen,
  resetRefusal,
  succeeded,
} from "./accountLinks";

describe("publicAccountScreen", () => {
  it("reads the mailed links", () => {
    expect(publicAccountScreen("#/reset-password?token=abc.DEF-123_x")).toEqual({
      kind: "reset-password",
      token: "abc.DEF-123_x",
    });
    expect(publicAccountScreen("#/confirm-email?token=t0k")).toEqual({ kind: "confirm-email", token: "t0k" });
    expect(publicAccountScreen("#confirm-email?token=t0k")).toEqual({ kind: "confirm-email", token: "t0k" });
  });

  it("decodes the token and ignores other parameters", () => {
    expect(publicAccountScreen("#/reset-password?x=1&token=a%2Bb")).toEqual({ kind: "reset-password", token: "a+b" });
  });

  it("opens the screen with no token when the link is broken", () => {
    expect(publicAccountScreen("#/reset-password")).toEqual({ kind: "reset-password", token: "" });
    expect(publicAccountScreen("#/confirm-email?token=")).toEqual({ kind: "confirm-email", token: "" });
    expect(publicAccountScreen(`#/confirm-email?token=${"a".repeat(101)}`)).toEqual({
      kind: "confirm-email",
      token: "",
    });
  });

  it("is null for every other address", () => {
    for (const hash of ["", "#", "#/", "#/health", "#/settings/notifications", "#/reset-passwordx?token=a", "#/main"])
      expect(publicAccountScreen(hash)).toBeNull();
  });

  it("round-trips the portal's own links", () => {
    expect(publicAccountScreen(accountLinkHash("reset-password", "a b&c"))).toEqual({
      kind: "reset-password",
      token: "",
    });
    expect(publicAccountScreen(accountLinkHash("confirm-email", "a&c=d"))).toEqual({
      kind: "confirm-email",
      token: "a&c=d",
    });
  });
});

describe("succeeded", () => {
  it("takes a 204 as done", () => {
    expect(succeeded({ ok: true, value: {} })).toBe(true);
    expect(succeeded({ ok: false, status: 204, problem: undefined })).toBe(true);
    expect(succeeded({ ok: false, status: 422, problem: {} })).toBe(false);
    expect(succeeded({ ok: false, status: 0, problem: undefined })).toBe(false);
  });
});

describe("newPasswordProblems", () => {
  it("checks presence, length and the repeat", () => {
    expect(newPasswordProblems("", "")).toEqual({ password: "required", confirm: "required" });
    expect(newPasswordProblems("short", "short")).toEqual({ password: "short" });
    expect(newPasswordProblems("long enough words", "long enough word")).toEqual({ confirm: "mismatch" });
    expect(newPasswordProblems("long enough words", "long enough words")).toEqual({});
  });
});

describe("resetRefusal", () => {
  it("tells a spent link from a weak password", () => {
    expect(
      resetRefusal(422, { detail: "the link is not valid, has expired or was already used; ask for a new one" }),
    ).toEqual({ about: "link" });
    expect(resetRefusal(422, { detail: "the password must have at least 10 characters" })).toEqual({
      about: "password",
      detail: "the password must have at least 10 characters",
      atLeast: 10,
    });
    expect(resetRefusal(422, { errors: [{ loc: ["body", "new_password"], msg: "too long" }] })).toMatchObject({
      about: "password",
    });
    expect(resetRefusal(422, { errors: [{ loc: ["body", "token"], msg: "too long" }] })).toEqual({ about: "link" });
    expect(resetRefusal(500, { detail: "boom" })).toEqual({ about: "form" });
  });
});

describe("notification preferences", () => {
  it("lists known kinds first, in order, then new ones", () => {
    expect(orderedKinds({ results_ready: true, zz_new: false, appointment_requested: false })).toEqual([
      "appointment_requested",
      "results_ready",
      "zz_new",
    ]);
  });

  it("sends only what changed", () => {
    expect(changedPreferences({ a: true, b: false }, { a: true, b: true })).toEqual({ b: true });
    expect(changedPreferences({ a: true }, { a: true })).toEqual({});
  });
});
