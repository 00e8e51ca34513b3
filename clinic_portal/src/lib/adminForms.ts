// The administrator's forms (a new member, a new organisation): what is missing before
// anything is sent, the request bodies, and the service's refusals placed next to the
// field they are about. Pure.

import { asSentence } from "./format";

/** Errors by field; `form` holds what is about no one field. Values are the service's words. */
export type FieldErrors<F extends string> = Partial<Record<F | "form", string>>;

/**
 * The refusal of the service, by field: validation errors (`errors: [{loc, msg}]`) by where
 * they point (`loc` ["body", name, ...], renamed by `aliases`), a domain refusal (`detail`)
 * by the first field `guess` names for it, else on the form.
 */
export function fieldErrors<F extends string>(
  problem: unknown,
  fields: readonly F[],
  aliases: Readonly<Record<string, F>> = {},
  guess: (detail: string) => F | null = () => null,
): FieldErrors<F> {
  const found: FieldErrors<F> = {};
  const put = (field: F | "form", message: string) => {
    if (message && !found[field]) found[field] = asSentence(message);
  };
  if (typeof problem !== "object" || problem === null) return found;
  const p = problem as Record<string, unknown>;
  const errors = Array.isArray(p["errors"]) ? (p["errors"] as unknown[]) : [];
  for (const e of errors) {
    if (typeof e !== "object" || e === null) continue;
    const err = e as Record<string, unknown>;
    const msg = typeof err["msg"] === "string" ? err["msg"] : "";
    const loc = Array.isArray(err["loc"]) ? (err["loc"] as unknown[]).map(String) : [];
    const name = loc[0] === "body" ? loc[1] : undefined;
    const field = name === undefined ? undefined : (aliases[name] ?? fields.find((f) => f === name));
    put(field ?? "form", msg);
  }
  const detail = typeof p["detail"] === "string" ? p["detail"] : "";
  if (detail && errors.length === 0) put(guess(detail) ?? "form", detail);
  return found;
}

export type MemberField = "full_name" | "email" | "password" | "roles";
export const MEMBER_FIELDS: readonly MemberField[] = ["full_name", "email", "password", "roles"];
export const MEMBER_ALIASES: Readonly<Record<string, MemberField>> = { role: "roles", extra_roles: "roles" };

/** Which field of the member form a refusal of the service is about (weak password, taken email, role). */
export function guessMemberField(detail: string): MemberField | null {
  const d = detail.toLowerCase();
  if (d.includes("password")) return "password";
  if (d.includes("email") || d.includes("account")) return "email";
  if (d.includes("role")) return "roles";
  if (d.includes("name")) return "full_name";
  return null;
}

export type NewMember = { fullName: string; email: string; password: string; roles: readonly string[] };

/** The fields of a new member left empty (checked before sending). */
export function missingMemberFields(member: NewMember): MemberField[] {
  const missing: MemberField[] = [];
  if (!member.fullName.trim()) missing.push("full_name");
  if (!member.email.trim()) missing.push("email");
  if (!member.password) missing.push("password");
  if (member.roles.length === 0) missing.push("roles");
  return missing;
}

/** The body of POST /organizations/{id}/members: the first role, the others as extra roles. */
export function memberBody(member: NewMember): {
  full_name: string;
  email: string;
  password: string;
  role: string;
  extra_roles: string[];
} {
  const [role = "", ...extra] = member.roles;
  return {
    full_name: member.fullName.trim(),
    email: member.email.trim(),
    password: member.password,
    role,
    extra_roles: extra,
  };
}

export type OrganisationField = "name" | "kind";
export const ORGANISATION_FIELDS: readonly OrganisationField[] = ["name", "kind"];

export function guessOrganisationField(detail: string): OrganisationField | null {
  const d = detail.toLowerCase();
  if (d.includes("name")) return "name";
  if (d.includes("kind")) return "kind";
  return null;
}
