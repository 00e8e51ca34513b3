import { useEffect, useId, useMemo, useState } from "react";
import { api, type Me } from "../api/client";
import { t, useI18n } from "../i18n";
import {
  buildMatrix,
  isChanged,
  permissionsBody,
  toggled,
  type PermissionInfo,
  type RoleRow,
} from "../lib/adminRoles";
import { roleWords } from "../lib/adminWords";
import { problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import { ErrorAlert, Loading } from "./common";

type Loaded =
  | { status: "loading" }
  | { status: "error"; error: string }
  | { status: "ready"; rows: RoleRow[]; catalogue: PermissionInfo[] };

type Saving = Record<string, { busy: boolean; error: string; saved: boolean }>;

export function RolesHome({ me }: { me: Me }) {
  useI18n(); // a change of language re-renders the screen in the new words
  const org = me.organization;
  const orgId = org?.id ?? null;
  const canUpdate = me.permissions.includes("role:update");
  const [loaded, setLoaded] = useState<Loaded>({ status: "loading" });
  const [draft, setDraft] = useState<ReadonlyMap<string, ReadonlySet<string>>>(new Map());
  const [saving, setSaving] = useState<Saving>({});
  // One role at a time on a narrow screen; all of them by default.
  const [shownRole, setShownRole] = useState("");
  const headingId = useId();
  const pickId = useId();

  useEffect(() => {
    if (orgId === null) return;
    let live = true;
    void Promise.all([
      outcome(api.GET("/api/v1/organizations/{organization_id}/roles", { params: { path: { organization_id: orgId } } })),
      outcome(api.GET("/api/v1/permissions")),
    ]).then(([roles, permissions]) => {
      if (!live) return;
      if (!roles.ok) setLoaded({ status: "error", error: problemDetail(roles.problem, roles.status) });
      else if (!permissions.ok)
        setLoaded({ status: "error", error: problemDetail(permissions.problem, permissions.status) });
      else setLoaded({ status: "ready", rows: roles.value, catalogue: permissions.value });
    });
    return () => {
      live = false;
    };
  }, [orgId]);

  const matrix = useMemo(
    () => (loaded.status === "ready" ? buildMatrix(loaded.rows, loaded.catalogue, org?.kind, draft) : null),
    [loaded, org?.kind, draft],
  );

  if (loaded.status !== "ready" || !matrix) {
    return (
      <main className="content" id="main">
        <h1 className="page-title">{t("admin.rolesTitle")}</h1>
        {loaded.status === "error" ? <ErrorAlert message={loaded.error} /> : <Loading what={t("admin.rolesWhat")} />}
      </main>
    );
  }
  const rows = loaded.rows;
  const columns = matrix.roles
    .map((r, j) => ({ ...r, j }))
    .filter((r) => shownRole === "" || r.role === shownRole);
  const saved = (role: string) => rows.find((r) => r.role === role)?.permissions ?? [];

  function change(role: string, permission: string, on: boolean) {
    setDraft((d) => toggled(d, saved(role), role, permission, on));
    setSaving((s) => ({ ...s, [role]: { busy: false, error: "", saved: false } }));
  }

  async function save(role: string) {
    const wanted = draft.get(role);
    if (!wanted || orgId === null) return;
    setSaving((s) => ({ ...s, [role]: { busy: true, error: "", saved: false } }));
    const result = await outcome(
      api.PUT("/api/v1/organizations/{organization_id}/roles/{role}/permissions", {
        params: { path: { organization_id: orgId, role } },
        body: permissionsBody(wanted),
      }),
    );
    if (result.ok) {
      const updated = result.value;
      setLoaded((l) =>
        l.status === "ready"
          ? { ...l, rows: l.rows.map((r) => (r.role === role ? { ...r, permissions: updated.permissions } : r)) }
          : l,
      );
      setDraft((d) => {
        const next = new Map(d);
        next.delete(role);
        return next;
      });
      setSaving((s) => ({ ...s, [role]: { busy: false, error: "", saved: true } }));
    } else {
      setSaving((s) => ({ ...s, [role]: { busy: false, error: problemDetail(result.problem, result.status), saved: false } }));
    }
  }

  return (
    <main className="content" id="main">
      <h1 className="page-title">{t("admin.rolesTitle")}</h1>
      <p className="muted admin-intro">
        {canUpdate ? t("admin.rolesIntroEdit") : t("admin.rolesIntroRead")}
      </p>
      <section className="card" data-testid="roles" aria-labelledby={headingId}>
        <h2 id={headingId}>{org ? t("admin.rolesOfOrg", { org: org.name }) : t("admin.rolesTitle")}</h2>
        <div className="field roles-pick">
          <label htmlFor={pickId}>{t("admin.rolesShown")}</label>
          <select id={pickId} value={shownRole} onChange={(e) => setShownRole(e.target.value)}>
            <option value="">{t("admin.allRoles")}</option>
            {matrix.roles.map((r) => (
              <option key={r.role} value={r.role}>
                {roleWords(r.role)}
              </option>
            ))}
          </select>
        </div>
        {canUpdate && <p className="hint roles-hint">{t("admin.notGrantableHint")}</p>}
        <div className="roles-scroll" role="region" aria-labelledby={headingId} tabIndex={0}>
          <table className="roles-table">
            <thead>
              <tr>
                <th scope="col" className="roles-corner">
                  {t("admin.permission")}
                </th>
                {columns.map((r) => (
                  <th scope="col" key={r.role}>
                    {roleWords(r.role)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {matrix.permissions.map((p, i) => (
                <tr key={p.name}>
                  <th scope="row">
                    <span className="roles-description">{p.description}</span>
                    <span className="roles-code">{p.name}</span>
                  </th>
                  {columns.map(({ role, j }) => {
                    const cell = matrix.cells[i]![j]!;
                    return (
                      <td key={role}>
                        <input
                          type="checkbox"
                          checked={cell.held}
                          disabled={!canUpdate || !cell.editable || saving[role]?.busy}
                          aria-label={t("admin.cellLabel", { role: roleWords(role), permission: p.description })}
                          onChange={(e) => change(role, p.name, e.target.checked)}
                        />
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
            {canUpdate && (
              <tfoot>
                <tr>
                  <th scope="row">{t("admin.saveRow")}</th>
                  {columns.map((r) => {
                    const state = saving[r.role];
                    const changed = isChanged(draft.get(r.role), saved(r.role));
                    return (
                      <td key={r.role} className="roles-save" data-testid={`save-${r.role}`}>
                        <button
                          type="button"
                          className="primary"
                          disabled={!changed || state?.busy}
                          aria-busy={state?.busy ?? false}
                          onClick={() => void save(r.role)}
                          aria-label={t("admin.saveRole", { role: roleWords(r.role) })}
                        >
                          {t("admin.saveRow")}
                        </button>
                        {state?.error && (
                          <p className="alert" role="alert">
                            {t("admin.roleRefused", { role: roleWords(r.role), reason: state.error })}
                          </p>
                        )}
                        <p className="success" role="status">
                          {state?.saved ? t("admin.roleSaved") : ""}
                        </p>
                      </td>
                    );
                  })}
                </tr>
              </tfoot>
            )}
          </table>
        </div>
      </section>
    </main>
  );
}
