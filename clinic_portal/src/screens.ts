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
  | "orders"
  | "worklist"
  | "prescriptions"
  | "stock"
  | "purchase-orders"
  | "catalogue"
  | "bills"
  | "billing"
  | "prices"
  | "claims"
  | "reports"
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
  // Pharmacy and drug vendor work: the pharmacy's queue (a patient's own prescriptions under
  // the same name), its stock and purchase orders; a vendor's order inbox and catalogue.
  {
    id: "prescriptions",
    title: "pharmacy.nav.prescriptions",
    allowed: (me) =>
      me.permissions.includes("prescription:read") &&
      (me.roles.includes("patient") || me.permissions.includes("dispense:write")),
  },
  { id: "stock", title: "pharmacy.nav.stock", allowed: (me) => me.permissions.includes("inventory:read") && hasOrg(me) },
  {
    id: "purchase-orders",
    title: "pharmacy.nav.purchaseOrders",
    allowed: (me) =>
      hasOrg(me) &&
      me.permissions.includes("purchase_order:read") &&
      (me.permissions.includes("purchase_order:write") || me.permissions.includes("purchase_order:accept")),
  },
  { id: "catalogue", title: "pharmacy.nav.catalogue", allowed: (me) => me.permissions.includes("catalog:write") && hasOrg(me) },
  // Lab and imaging orders: the performer's work list, a patient's own, a physician's placed.
  {
    id: "worklist",
    title: "orders.nav.worklist",
    allowed: (me) =>
      hasOrg(me) && !me.roles.includes("patient") && me.permissions.includes("order:perform") && me.permissions.includes("order:read"),
  },
  {
    id: "orders",
    title: "orders.nav.mine",
    allowed: (me) => me.roles.includes("patient") && me.permissions.includes("order:read"),
  },
  {
    id: "orders",
    title: "orders.nav.placed",
    allowed: (me) =>
      !me.roles.includes("patient") && hasOrg(me) && me.permissions.includes("order:place") && me.permissions.includes("order:read"),
  },
  // Billing: a patient's bills; the desk's billing; the administrator's price list and
  // reports; the insurer's claim queue.
  {
    id: "bills",
    title: "billing.nav.bills",
    allowed: (me) => me.roles.includes("patient") && me.permissions.includes("billing:read"),
  },
  {
    id: "billing",
    title: "billing.nav.desk",
    allowed: (me) =>
      !me.roles.includes("patient") && hasOrg(me) && me.permissions.includes("billing:read") && me.permissions.includes("billing:write"),
  },
  { id: "prices", title: "finance.nav.prices", allowed: (me) => hasOrg(me) && me.permissions.includes("price:write") },
  {
    id: "claims",
    title: "finance.nav.claims",
    allowed: (me) => hasOrg(me) && me.permissions.includes("claim:adjudicate") && me.permissions.includes("claim:read"),
  },
  { id: "reports", title: "finance.nav.reports", allowed: (me) => hasOrg(me) && me.permissions.includes("report:read") },
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
  // A screen may take parameters after "?" (#/results?uhid=…): they do not name the screen.
  const wanted = hash.replace(/^#\/?/, "").split("?")[0];
  const found = screens.find((s) => s.id === wanted);
  return found ? found.id : (screens[0]?.id ?? null);
}

/** The parameters a screen was opened with (#/results?uhid=…&order=…), empty when none. */
export function hashParameters(hash: string): URLSearchParams {
  const at = hash.indexOf("?");
  return new URLSearchParams(at < 0 ? "" : hash.slice(at + 1));
}
