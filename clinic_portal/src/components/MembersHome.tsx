import { useId, useState, type FormEvent } from "react";
import type { Me } from "../api/client";
import { api } from "../api/client";
import type { components } from "../api/schema";
import { t, useI18n, type MessageKey } from "../i18n";
import {
  fieldErrors,
  guessMemberField,
  MEMBER_ALIASES,
  MEMBER_FIELDS,
  memberBody,
  missingMemberFields,
  type FieldErrors,
  type MemberField,
} from "../lib/adminForms";
import { assignableRoles } from "../lib/adminRoles";
import { roleWords } from "../lib/adminWords";
import { formatUhid, problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import { usePaged } from "../lib/usePaged";
import { Badge, Fact, PagedList } from "./common";

type MemberOut = components["schemas"]["MemberOut"];

const MISSING: Record<MemberField, MessageKey> = {
  full_name: "admin.missing.full_name",
  email: "admin.missing.email",
  password: "admin.missing.password",
  roles: "admin.missing.roles",
};

export function MembersHome({ me }: { me: Me }) {
  useI18n(); // a change of language re-renders the screen in the new words
  const org = me.organization;
  const orgId = org?.id ?? null;
  const canCreate = me.permissions.includes("member:create");
  const canUpdate = me.permissions.includes("member:update");
  const roles = assignableRoles(org?.kind);
  const members = usePaged<MemberOut>(orgId, (offset, limit) =>
    outcome(
      api.GET("/api/v1/organizations/{organization_id}/members", {
        params: { path: { organization_id: orgId ?? "" }, query: { limit, offset } },
      }),
    ),
  );

  return (
    <main className="content" id="main">
      <h1 className="page-title">{org ? t("admin.membersTitleOf", { org: org.name }) : t("admin.membersTitle")}</h1>
      <div className="admin-layout">
        {canCreate && orgId && (
          <AddMember organizationId={orgId} roles={roles} onAdded={() => members.reload(1)} />
        )}
        <section className="card" data-testid="members" aria-labelledby="members-heading">
          <h2 id="members-heading">{t("admin.membersHeading")}</h2>
          <PagedList
            page={members}
            what={t("admin.membersWhat")}
            empty={t("admin.noMembers")}
            render={(m) => (
              <MemberItem
                key={m.id}
                member={m}
                me={me}
                organizationId={orgId ?? ""}
                roles={roles}
                canUpdate={canUpdate}
                onChanged={() => members.reload(0)}
              />
            )}
          />
        </section>
      </div>
    </main>
  );
}

const EMPTY_MEMBER = { fullName: "", email: "", password: "", roles: [] as string[] };

function AddMember({
  organizationId,
  roles,
  onAdded,
}: {
  organizationId: string;
  roles: readonly string[];
  onAdded: () => void;
}) {
  const [member, setMember] = useState(EMPTY_MEMBER);
  const [errors, setErrors] = useState<FieldErrors<MemberField>>({});
  const [saving, setSaving] = useState(false);
  // Kept as facts, worded when shown: a change of language rewords it.
  const [added, setAdded] = useState<{ name: string; uhid: string } | null>(null);
  const id = useId();

  async function add(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setAdded(null);
    const missing = missingMemberFields(member);
    if (missing.length) {
      setErrors(Object.fromEntries(missing.map((f) => [f, t(MISSING[f])])));
      return;
    }
    setSaving(true);
    setErrors({});
    const result = await outcome(
      api.POST("/api/v1/organizations/{organization_id}/members", {
        params: { path: { organization_id: organizationId } },
        body: memberBody(member),
      }),
    );
    setSaving(false);
    if (result.ok) {
      setAdded({ name: member.fullName.trim(), uhid: result.value.uhid });
      setMember(EMPTY_MEMBER);
      onAdded();
      return;
    }
    const found = fieldErrors(result.problem, MEMBER_FIELDS, MEMBER_ALIASES, guessMemberField);
    if (Object.keys(found).length === 0) found.form = problemDetail(result.problem, result.status);
    setErrors(found);
  }

  const described = (field: MemberField) => (errors[field] ? `${id}-${field}-error` : undefined);
  const fieldError = (field: MemberField) =>
    errors[field] ? (
      <p className="alert" role="alert" id={`${id}-${field}-error`}>
        {errors[field]}
      </p>
    ) : null;

  return (
    <section className="card" data-testid="add-member" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{t("admin.addMemberHeading")}</h2>
      <form className="admin-form" onSubmit={(e) => void add(e)} noValidate>
        <div className="field">
          <label htmlFor={`${id}-name`}>{t("admin.fullName")}</label>
          <input
            id={`${id}-name`}
            type="text"
            autoComplete="off"
            value={member.fullName}
            onChange={(e) => setMember({ ...member, fullName: e.target.value })}
            aria-invalid={errors.full_name ? true : undefined}
            aria-describedby={described("full_name")}
          />
          {fieldError("full_name")}
        </div>
        <div className="field">
          <label htmlFor={`${id}-email`}>{t("admin.email")}</label>
          <input
            id={`${id}-email`}
            type="email"
            autoComplete="off"
            spellCheck={false}
            value={member.email}
            onChange={(e) => setMember({ ...member, email: e.target.value })}
            aria-invalid={errors.email ? true : undefined}
            aria-describedby={described("email")}
          />
          {fieldError("email")}
        </div>
        <div className="field">
          <label htmlFor={`${id}-password`}>{t("admin.initialPassword")}</label>
          <input
            id={`${id}-password`}
            type="password"
            autoComplete="new-password"
            value={member.password}
            onChange={(e) => setMember({ ...member, password: e.target.value })}
            aria-invalid={errors.password ? true : undefined}
            aria-describedby={errors.password ? `${id}-password-hint ${id}-password-error` : `${id}-password-hint`}
          />
          <p className="hint" id={`${id}-password-hint`}>
            {t("admin.passwordHint")}
          </p>
          {fieldError("password")}
        </div>
        <RoleChoice
          legend={t("admin.roles")}
          roles={roles}
          chosen={member.roles}
          onChange={(chosen) => setMember({ ...member, roles: chosen })}
          error={errors.roles}
          errorId={`${id}-roles-error`}
        />
        {errors.form && (
          <p className="alert" role="alert">
            {errors.form}
          </p>
        )}
        <button type="submit" className="primary" disabled={saving} aria-busy={saving}>
          {saving ? t("admin.adding") : t("admin.addMember")}
        </button>
        <p className="success" role="status">
          {added ? t("admin.memberAdded", { name: added.name, uhid: formatUhid(added.uhid) }) : ""}
        </p>
      </form>
    </section>
  );
}

/** A group of role checkboxes (at least one role is needed; the service checks it too). */
function RoleChoice({
  legend,
  roles,
  chosen,
  onChange,
  error,
  errorId,
}: {
  legend: string;
  roles: readonly string[];
  chosen: readonly string[];
  onChange: (roles: string[]) => void;
  error?: string | undefined;
  errorId: string;
}) {
  const id = useId();
  return (
    <fieldset className="admin-roles" aria-invalid={error ? true : undefined} aria-describedby={error ? errorId : undefined}>
      <legend>{legend}</legend>
      {roles.map((role) => (
        <div className="admin-check" key={role}>
          <input
            id={`${id}-${role}`}
            type="checkbox"
            checked={chosen.includes(role)}
            onChange={(e) =>
              onChange(e.target.checked ? [...chosen, role] : chosen.filter((r) => r !== role))
            }
          />
          <label htmlFor={`${id}-${role}`}>{roleWords(role)}</label>
        </div>
      ))}
      {error && (
        <p className="alert" role="alert" id={errorId}>
          {error}
        </p>
      )}
    </fieldset>
  );
}

function MemberItem({
  member,
  me,
  organizationId,
  roles,
  canUpdate,
  onChanged,
}: {
  member: MemberOut;
  me: Me;
  organizationId: string;
  roles: readonly string[];
  canUpdate: boolean;
  onChanged: () => void;
}) {
  const [mode, setMode] = useState<"idle" | "roles" | "confirm">("idle");
  const [chosen, setChosen] = useState<string[]>(member.roles);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const id = useId();
  const self = member.id === me.id;
  // Roles the organisation may not give any more (or system roles) stay as they are.
  const offered = [...new Set([...roles, ...member.roles])];

  async function patch(body: { roles?: string[]; is_active?: boolean }) {
    setBusy(true);
    setError("");
    const result = await outcome(
      api.PATCH("/api/v1/organizations/{organization_id}/members/{user_id}", {
        params: { path: { organization_id: organizationId, user_id: member.id } },
        body,
      }),
    );
    setBusy(false);
    if (result.ok) {
      setMode("idle");
      onChanged();
    } else {
      setError(problemDetail(result.problem, result.status));
    }
  }

  function saveRoles(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (chosen.length === 0) {
      setError(t("admin.missing.roles"));
      return;
    }
    void patch({ roles: chosen });
  }

  return (
    <li className="item" data-testid="member">
      <div className="item-head">
        <span className="item-title">{member.full_name}</span>
        <Badge tone={member.is_active ? "granted" : "other"}>
          {member.is_active ? t("admin.active") : t("admin.deactivated")}
        </Badge>
      </div>
      <dl className="facts">
        <Fact term={t("admin.email")}>{member.email}</Fact>
        <Fact term={t("admin.roles")}>{member.roles.map(roleWords).join(", ") || t("admin.noRole")}</Fact>
        <Fact term={t("admin.uhid")}>{formatUhid(member.uhid)}</Fact>
      </dl>
      {canUpdate && mode === "idle" && (
        <div className="admin-actions">
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setChosen(member.roles);
              setError("");
              setMode("roles");
            }}
            aria-description={member.full_name}
          >
            {t("admin.changeRoles")}
          </button>
          {!self && (
            <button
              type="button"
              className="secondary"
              onClick={() => {
                setError("");
                setMode("confirm");
              }}
              aria-description={member.full_name}
            >
              {member.is_active ? t("admin.deactivate") : t("admin.reactivate")}
            </button>
          )}
        </div>
      )}
      {mode === "roles" && (
        <form className="admin-inline" onSubmit={saveRoles} noValidate>
          <RoleChoice
            legend={t("admin.rolesOf", { name: member.full_name })}
            roles={offered}
            chosen={chosen}
            onChange={setChosen}
            errorId={`${id}-roles-error`}
          />
          <div className="admin-actions">
            <button type="submit" className="primary" disabled={busy} aria-busy={busy}>
              {t("admin.saveRoles")}
            </button>
            <button type="button" className="secondary" onClick={() => setMode("idle")} disabled={busy}>
              {t("admin.cancel")}
            </button>
          </div>
        </form>
      )}
      {mode === "confirm" && (
        <div className="admin-confirm" role="group" aria-labelledby={`${id}-confirm`}>
          <p id={`${id}-confirm`}>
            {member.is_active
              ? t("admin.confirmDeactivateMember", { name: member.full_name })
              : t("admin.confirmReactivateMember", { name: member.full_name })}
          </p>
          <div className="admin-actions">
            <button
              type="button"
              className={member.is_active ? "danger" : "primary"}
              onClick={() => void patch({ is_active: !member.is_active })}
              disabled={busy}
              aria-busy={busy}
            >
              {member.is_active ? t("admin.confirmDeactivate") : t("admin.confirmReactivate")}
            </button>
            <button type="button" className="secondary" onClick={() => setMode("idle")} disabled={busy}>
              {t("admin.cancel")}
            </button>
          </div>
        </div>
      )}
      {error && (
        <p className="alert" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}
