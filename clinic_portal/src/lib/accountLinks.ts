// The account links the service mails (`#/reset-password?token=…`, `#/confirm-email?token=…`),
// the checks of a new password made before it is sent, and the service's refusals placed next
// to the field they are about. Pure: the words are chosen by the components.

import type { Outcome } from "./outcome";

export type AccountScreen = { kind: "reset-password" | "confirm-email"; token: string };

/** As api/identity/passwords.py checks it (the service's setting `password_min_length`). */
export const MIN_PASSWORD = 10;
/** The service refuses longer tokens without looking them up (api/identity/schemas.py). */
const MAX_TOKEN = 100;

const KINDS: readonly AccountScreen["kind"][] = ["reset-password", "confirm-email"];

/**
 * The screen a mailed link opens, whoever is signed in (or nobody): App asks this before it
 * chooses between the signed-in and signed-out views. Null for every other address. A link
 * whose token is missing or cannot be one still opens its screen, with token "", so the person
 * is told the link is broken instead of landing somewhere else without a word.
 */
export function publicAccountScreen(hash: string): AccountScreen | null {
  const match = /^#\/?([a-z-]+)(?:\?(.*))?$/.exec(hash.trim());
  if (!match) return null;
  const kind = KINDS.find((k) => k === match[1]);
  if (!kind) return null;
  let token = "";
  try {
    token = (new URLSearchParams(match[2] ?? "").get("token") ?? "").trim();
  } catch {
    token = "";
  }
  if (token.length > MAX_TOKEN || /\s/.test(token)) token = "";
  return { kind, token };
}

/** The hash of a mailed link (tests and the portal's own links). */
export function accountLinkHash(kind: AccountScreen["kind"], token: string): string {
  return `#/${kind}?token=${encodeURIComponent(token)}`;
}

/** An API call that worked, including a 204 (openapi-fetch gives no data for it, so
 * `outcome` reports it as not ok). */
export function succeeded(result: Outcome<unknown>): boolean {
  return result.ok || (result.status >= 200 && result.status < 300);
}

export type NewPasswordProblem = "required" | "short" | "mismatch";

/** What can be told about a new password before it is sent. */
export function newPasswordProblems(
  password: string,
  confirm: string,
): Partial<Record<"password" | "confirm", NewPasswordProblem>> {
  const problems: Partial<Record<"password" | "confirm", NewPasswordProblem>> = {};
  if (!password) problems.password = "required";
  else if (password.length < MIN_PASSWORD) problems.password = "short";
  if (!confirm) problems.confirm = "required";
  else if (!problems.password && confirm !== password) problems.confirm = "mismatch";
  return problems;
}

export type ResetRefusal =
  | { about: "link" }
  | { about: "password"; detail: string; atLeast: number | null }
  | { about: "form" };

/**
 * What a refused POST /auth/password-reset/confirm (or /auth/email/confirm) is about: the
 * link (spent, expired, unknown), the new password (the registration's strength rules, told
 * in the service's words), or something else (shown on the form).
 */
export function resetRefusal(status: number, problem: unknown): ResetRefusal {
  if (status !== 422) return { about: "form" };
  const p = typeof problem === "object" && problem !== null ? (problem as Record<string, unknown>) : {};
  const errors = Array.isArray(p["errors"]) ? (p["errors"] as unknown[]) : [];
  for (const e of errors) {
    if (typeof e !== "object" || e === null) continue;
    const loc = (e as { loc?: unknown }).loc;
    const msg = (e as { msg?: unknown }).msg;
    const field: unknown = Array.isArray(loc) ? (loc as unknown[])[loc.length - 1] : undefined;
    if (field === "token") return { about: "link" };
    if (field === "new_password") return { about: "password", detail: typeof msg === "string" ? msg : "", atLeast: null };
  }
  const detail = typeof p["detail"] === "string" ? p["detail"] : "";
  if (/\blink\b/i.test(detail)) return { about: "link" };
  if (/password/i.test(detail)) {
    const atLeast = /at least (\d+)/i.exec(detail);
    return { about: "password", detail, atLeast: atLeast ? Number(atLeast[1]) : null };
  }
  return { about: "form" };
}

/** The notification kinds in the order the settings list them; kinds the service adds later
 * (not known here) follow, by name. */
export const NOTIFICATION_KINDS = [
  "appointment_requested",
  "appointment_confirmed",
  "appointment_declined",
  "appointment_rescheduled",
  "appointment_cancelled",
  "appointment_reminder",
  "results_ready",
  "break_glass",
  "stock_below_reorder_point",
  "specimen_rejected",
  "invoice_issued",
  "claim_adjudicated",
] as const;

export function orderedKinds(email: Readonly<Record<string, boolean>>): string[] {
  const known: readonly string[] = NOTIFICATION_KINDS;
  const extra = Object.keys(email)
    .filter((k) => !known.includes(k))
    .sort();
  return [...NOTIFICATION_KINDS.filter((k) => k in email), ...extra];
}

/** The kinds whose choice differs from what the service holds: the body of the PUT. */
export function changedPreferences(
  saved: Readonly<Record<string, boolean>>,
  draft: Readonly<Record<string, boolean>>,
): Record<string, boolean> {
  const changed: Record<string, boolean> = {};
  for (const [kind, wanted] of Object.entries(draft)) if (saved[kind] !== wanted) changed[kind] = wanted;
  return changed;
}
