// The portal's screens and who may see each. A screen shows when the person's roles and
// permissions (from GET /me, asked again on every change of screen) allow it, so a
// permission an administrator removes takes its screen away on the next request.

import type { Me } from "./api/client";
import type { MessageKey } from "./i18n";

export type ScreenId = "health" | "patients" | "results" | "audit" | "members" | "roles" | "organisations";

export type Screen = { id: ScreenId; title: MessageKey };

type Who = Pick<Me, "roles" | "permissions">;

const RULES: readonly (Screen & { allowed: (me: Who) => boolean })[] = [
  { id: "health", title: "nav.health", allowed: (me) => me.roles.includes("patient") },
  {
    id: "patients",
    title: "nav.patients",
    allowed: (me) =>
      !me.roles.includes("patient") && me.permissions.includes("patient:read") && !writesResults(me),
  },
  {
    id: "results",
    title: "nav.results",
    allowed: writesResults,
  },
  {
    id: "audit",
    title: "nav.audit",
    // Patients read their own log on their own screen; the system administrator runs the
    // platform and reads nobody's accesses (platform auditors do).
    allowed: (me) =>
      !me.roles.includes("patient") && !me.roles.includes("system_admin") && me.permissions.includes("audit:read"),
  },
  { id: "members", title: "nav.members", allowed: (me) => me.permissions.includes("member:read") && hasOrg(me) },
  { id: "roles", title: "nav.roles", allowed: (me) => me.permissions.includes("role:read") && hasOrg(me) },
  { id: "organisations", title: "nav.organisations", allowed: (me) => me.permissions.includes("organization:create") },
];

/** Lab and radiology staff who may write results (the others of their role read, as clinicians do). */
function writesResults(me: Who): boolean {
  return (
    (me.roles.includes("lab_technician") || me.roles.includes("radiologist")) &&
    me.permissions.includes("patient:read") &&
    me.permissions.includes("record:write")
  );
}

function hasOrg(me: Who): boolean {
  return !me.roles.includes("system_admin") && !me.roles.includes("platform_auditor");
}

/** The screens this person may open, in the order of the navigation. */
export function screensFor(me: Who): Screen[] {
  return RULES.filter((rule) => rule.allowed(me)).map(({ id, title }) => ({ id, title }));
}

/** The screen named by the address's hash (#/audit), when it is one of `screens`; else the first. */
export function screenFromHash(hash: string, screens: readonly Screen[]): ScreenId | null {
  const wanted = hash.replace(/^#\/?/, "");
  const found = screens.find((s) => s.id === wanted);
  return found ? found.id : (screens[0]?.id ?? null);
}
