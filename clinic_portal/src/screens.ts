// The portal's screens and who may see each. A screen shows when the person's roles and
// permissions (from GET /me, asked again on every change of screen) allow it, so a
// permission an administrator removes takes its screen away on the next request.

import type { Me } from "./api/client";
import type { MessageKey } from "./i18n";

export type ScreenId =
  | "health"
  | "appointments"
  | "calendar"
  | "bookings"
  | "schedules"
  | "patients"
  | "results"
  | "audit"
  | "members"
  | "roles"
  | "organisations"
  | "inbox"
  | "settings/notifications";

export type Screen = { id: ScreenId; title: MessageKey };

type Who = Pick<Me, "roles" | "permissions">;

const RULES: readonly (Screen & { allowed: (me: Who) => boolean })[] = [
  { id: "health", title: "nav.health", allowed: (me) => me.roles.includes("patient") },
  {
    id: "appointments",
    title: "scheduling.nav.appointments",
    allowed: (me) =>
      me.roles.includes("patient") && me.permissions.includes("appointment:book") && me.permissions.includes("appointment:read"),
  },
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
  // Scheduling comes after the screens people already land on.
  {
    id: "calendar",
    title: "scheduling.nav.calendar",
    // A practitioner's own appointments; the front desk sees the organisation's under Bookings.
    allowed: (me) =>
      isPractitioner(me) && me.permissions.includes("appointment:read") && me.permissions.includes("appointment:manage"),
  },
  {
    id: "bookings",
    title: "scheduling.nav.bookings",
    allowed: (me) =>
      !me.roles.includes("patient") &&
      hasOrg(me) &&
      me.permissions.includes("appointment:book") &&
      me.permissions.includes("appointment:manage") &&
      me.permissions.includes("appointment:read"),
  },
  {
    id: "schedules",
    title: "scheduling.nav.schedules",
    // The front desk sets anyone's hours; a practitioner their own.
    allowed: (me) =>
      !me.roles.includes("patient") &&
      hasOrg(me) &&
      me.permissions.includes("schedule:write") &&
      me.permissions.includes("appointment:read") &&
      (isFrontDesk(me) || isPractitioner(me)),
  },
];

/** Everyone's own settings, after the screens of their work (App appends them to screensFor). */
export const SETTINGS_SCREENS: readonly Screen[] = [
  { id: "inbox", title: "inbox.title" },
  { id: "settings/notifications", title: "auth.account.settingsTitle" },
];

/** Lab and radiology staff who may write results (the others of their role read, as clinicians do). */
function writesResults(me: Who): boolean {
  return (
    (me.roles.includes("lab_technician") || me.roles.includes("radiologist")) &&
    me.permissions.includes("patient:read") &&
    me.permissions.includes("record:write")
  );
}

const PRACTITIONERS = ["physician", "nurse", "radiologist", "lab_technician"];

/** Whose time is booked (the service's PRACTITIONER_ROLES). */
function isPractitioner(me: Who): boolean {
  return me.roles.some((r) => PRACTITIONERS.includes(r));
}

function isFrontDesk(me: Who): boolean {
  return me.roles.includes("helpdesk") || me.roles.includes("org_admin");
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
