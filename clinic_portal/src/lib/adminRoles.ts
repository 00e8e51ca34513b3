// The organisation's role-by-permission matrix (GET /organizations/{id}/roles and
// GET /permissions), the administrator's unsaved changes to it, and which roles an
// organisation of each kind may give its members. Pure.

/** A role's effective permissions in the organisation (RolePermissions of the API). */
export type RoleRow = { role: string; permissions: readonly string[]; configurable: boolean };
export type PermissionInfo = { name: string; description: string };

// Mirrors api/roles/catalog.py: no organisation may hand these to a role (the service refuses).
const NOT_GRANTABLE = new Set(["organization:create", "platform_auditor:create", "consent:grant"]);

// Mirrors api/tenants/roles.py (ASSIGNABLE_ROLES): the staff roles an organisation of each
// kind may give. The service checks it again; this only keeps the choices to valid ones.
const ADMIN_ROLES = ["org_admin", "helpdesk", "auditor"];
export const ASSIGNABLE_ROLES: Record<string, readonly string[]> = {
  hospital: ["physician", "nurse", "lab_technician", "radiologist", "pharmacist", ...ADMIN_ROLES],
  clinic: ["physician", "nurse", "lab_technician", "pharmacist", ...ADMIN_ROLES],
  lab: ["lab_technician", "physician", ...ADMIN_ROLES],
  radiology: ["radiologist", "physician", ...ADMIN_ROLES],
  pharmacy: ["pharmacist", ...ADMIN_ROLES],
  insurer: ["insurer", ...ADMIN_ROLES],
  drug_vendor: ["drug_vendor", ...ADMIN_ROLES],
};

export const ORGANIZATION_KINDS = Object.keys(ASSIGNABLE_ROLES);

/** The roles an organisation of `kind` may give (all configurable ones when the kind is unknown). */
export function assignableRoles(kind: string | undefined, configurable: readonly string[] = []): readonly string[] {
  return (kind !== undefined ? ASSIGNABLE_ROLES[kind] : undefined) ?? configurable;
}

export type Cell = { permission: string; description: string; held: boolean; editable: boolean };
export type MatrixRole = { role: string; configurable: boolean };
/** Permissions down (one row each), roles across: `cells[p][r]` is permission p of role r. */
export type Matrix = { roles: MatrixRole[]; permissions: PermissionInfo[]; cells: Cell[][] };

/**
 * The matrix of the roles of an organisation of `kind` (the roles it may give, in the
 * service's order; roles no organisation configures, such as patient, are left out) by the
 * catalogue's permissions, with `draft` (role -> permissions) in place of the saved ones.
 */
export function buildMatrix(
  rows: readonly RoleRow[],
  catalogue: readonly PermissionInfo[],
  kind: string | undefined,
  draft: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
): Matrix {
  const allowed = new Set(assignableRoles(kind, rows.filter((r) => r.configurable).map((r) => r.role)));
  const shown = rows.filter((r) => r.configurable && allowed.has(r.role));
  const known = new Set(catalogue.map((p) => p.name));
  // A permission a role holds that the catalogue does not name still shows (by its name).
  const extra = [...new Set(shown.flatMap((r) => r.permissions))]
    .filter((p) => !known.has(p))
    .sort()
    .map((name) => ({ name, description: name }));
  const permissions = [...catalogue, ...extra];
  const cells = permissions.map((p) =>
    shown.map((r) => {
      const held = (draft.get(r.role) ?? new Set(r.permissions)).has(p.name);
      // A non-grantable permission stays as it is: it can be removed but never given.
      return { permission: p.name, description: p.description, held, editable: !NOT_GRANTABLE.has(p.name) || held };
    }),
  );
  return { roles: shown.map((r) => ({ role: r.role, configurable: r.configurable })), permissions, cells };
}

/** The draft with `permission` of `role` switched on or off (a new map; `saved` is the role's saved set). */
export function toggled(
  draft: ReadonlyMap<string, ReadonlySet<string>>,
  saved: readonly string[],
  role: string,
  permission: string,
  on: boolean,
): Map<string, ReadonlySet<string>> {
  const next = new Map(draft);
  const perms = new Set(draft.get(role) ?? saved);
  if (on) perms.add(permission);
  else perms.delete(permission);
  next.set(role, perms);
  return next;
}

/** Whether the draft of a role differs from its saved permissions. */
export function isChanged(draft: ReadonlySet<string> | undefined, saved: readonly string[]): boolean {
  if (!draft) return false;
  return draft.size !== new Set(saved).size || saved.some((p) => !draft.has(p));
}

/** The body of PUT /roles/{role}/permissions: the permissions, sorted. */
export function permissionsBody(draft: ReadonlySet<string>): { permissions: string[] } {
  return { permissions: [...draft].sort() };
}
