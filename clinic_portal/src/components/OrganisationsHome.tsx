import { useId, useState, type FormEvent } from "react";
import { api, type Me } from "../api/client";
import type { components } from "../api/schema";
import { locale, t, useI18n } from "../i18n";
import {
  fieldErrors,
  guessOrganisationField,
  ORGANISATION_FIELDS,
  type FieldErrors,
  type OrganisationField,
} from "../lib/adminForms";
import { ORGANIZATION_KINDS } from "../lib/adminRoles";
import { kindWords } from "../lib/adminWords";
import { parseApiDate, problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import { usePaged } from "../lib/usePaged";
import { Badge, Fact, PagedList } from "./common";

type OrganizationOut = components["schemas"]["OrganizationOut"];
type OrganizationKind = components["schemas"]["OrganizationKind"];

function isKind(kind: string): kind is OrganizationKind {
  return ORGANIZATION_KINDS.includes(kind);
}

function dateWords(value: string): string {
  const d = parseApiDate(value);
  return d ? new Intl.DateTimeFormat(locale(), { day: "numeric", month: "short", year: "numeric" }).format(d) : value;
}

export function OrganisationsHome({ me }: { me: Me }) {
  useI18n(); // a change of language re-renders the screen in the new words
  const canCreate = me.permissions.includes("organization:create");
  const canUpdate = me.permissions.includes("organization:update");
  const organisations = usePaged<OrganizationOut>(
    "organisations",
    (offset, limit) => outcome(api.GET("/api/v1/organizations", { params: { query: { limit, offset } } })),
    50,
  );

  return (
    <main className="content" id="main">
      <h1 className="page-title">{t("admin.organisationsTitle")}</h1>
      <div className="admin-layout">
        {canCreate && <CreateOrganisation onCreated={() => organisations.reload(1)} />}
        <section className="card" data-testid="organisations" aria-labelledby="organisations-heading">
          <h2 id="organisations-heading">{t("admin.organisationsHeading")}</h2>
          <PagedList
            page={organisations}
            what={t("admin.organisationsWhat")}
            empty={t("admin.noOrganisations")}
            render={(o) => (
              <OrganisationItem
                key={o.id}
                organisation={o}
                canUpdate={canUpdate}
                onChanged={() => organisations.reload(0)}
              />
            )}
          />
        </section>
      </div>
    </main>
  );
}

function CreateOrganisation({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState("");
  const [kind, setKind] = useState("");
  const [errors, setErrors] = useState<FieldErrors<OrganisationField>>({});
  const [saving, setSaving] = useState(false);
  // Kept as facts, worded when shown: a change of language rewords it.
  const [created, setCreated] = useState<{ name: string; kind: string } | null>(null);
  const id = useId();

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setCreated(null);
    const missing: FieldErrors<OrganisationField> = {};
    if (!name.trim()) missing.name = t("admin.missing.name");
    if (!isKind(kind)) missing.kind = t("admin.missing.kind");
    if (Object.keys(missing).length || !isKind(kind)) {
      setErrors(missing);
      return;
    }
    setSaving(true);
    setErrors({});
    const result = await outcome(api.POST("/api/v1/organizations", { body: { name: name.trim(), kind } }));
    setSaving(false);
    if (result.ok) {
      setCreated({ name: result.value.name, kind: result.value.kind });
      setName("");
      setKind("");
      onCreated();
      return;
    }
    const found = fieldErrors(result.problem, ORGANISATION_FIELDS, {}, guessOrganisationField);
    if (Object.keys(found).length === 0) found.form = problemDetail(result.problem, result.status);
    setErrors(found);
  }

  const errorOf = (field: OrganisationField) =>
    errors[field] ? (
      <p className="alert" role="alert" id={`${id}-${field}-error`}>
        {errors[field]}
      </p>
    ) : null;

  return (
    <section className="card" data-testid="create-organisation" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{t("admin.createOrganisationHeading")}</h2>
      <form className="admin-form" onSubmit={(e) => void create(e)} noValidate>
        <div className="field">
          <label htmlFor={`${id}-name`}>{t("admin.organisationName")}</label>
          <input
            id={`${id}-name`}
            type="text"
            autoComplete="organization"
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={errors.name ? true : undefined}
            aria-describedby={errors.name ? `${id}-name-error` : undefined}
          />
          {errorOf("name")}
        </div>
        <div className="field">
          <label htmlFor={`${id}-kind`}>{t("admin.kind")}</label>
          <select
            id={`${id}-kind`}
            value={kind}
            onChange={(e) => setKind(e.target.value)}
            aria-invalid={errors.kind ? true : undefined}
            aria-describedby={errors.kind ? `${id}-kind-error` : undefined}
          >
            <option value="">{t("admin.chooseKind")}</option>
            {ORGANIZATION_KINDS.map((k) => (
              <option key={k} value={k}>
                {kindWords(k)}
              </option>
            ))}
          </select>
          {errorOf("kind")}
        </div>
        {errors.form && (
          <p className="alert" role="alert">
            {errors.form}
          </p>
        )}
        <button type="submit" className="primary" disabled={saving} aria-busy={saving}>
          {saving ? t("admin.creating") : t("admin.createOrganisation")}
        </button>
        <p className="success" role="status">
          {created ? t("admin.organisationCreated", { name: created.name, kind: kindWords(created.kind) }) : ""}
        </p>
      </form>
    </section>
  );
}

function OrganisationItem({
  organisation,
  canUpdate,
  onChanged,
}: {
  organisation: OrganizationOut;
  canUpdate: boolean;
  onChanged: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const id = useId();
  const active = organisation.is_active;

  async function setActive() {
    setBusy(true);
    setError("");
    const result = await outcome(
      api.PATCH("/api/v1/organizations/{organization_id}", {
        params: { path: { organization_id: organisation.id } },
        body: { is_active: !active },
      }),
    );
    setBusy(false);
    if (result.ok) {
      setConfirming(false);
      onChanged();
    } else {
      setError(problemDetail(result.problem, result.status));
    }
  }

  return (
    <li className="item" data-testid="organisation">
      <div className="item-head">
        <span className="item-title">{organisation.name}</span>
        <Badge tone={active ? "granted" : "other"}>{active ? t("admin.active") : t("admin.deactivated")}</Badge>
      </div>
      <dl className="facts">
        <Fact term={t("admin.kind")}>{kindWords(organisation.kind)}</Fact>
        <Fact term={t("admin.created")}>
          <time dateTime={organisation.created_at}>{dateWords(organisation.created_at)}</time>
        </Fact>
      </dl>
      {canUpdate && !confirming && (
        <div className="admin-actions">
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setError("");
              setConfirming(true);
            }}
            aria-description={organisation.name}
          >
            {active ? t("admin.deactivate") : t("admin.reactivate")}
          </button>
        </div>
      )}
      {confirming && (
        <div className="admin-confirm" role="group" aria-labelledby={`${id}-confirm`}>
          <p id={`${id}-confirm`}>
            {active
              ? t("admin.confirmDeactivateOrganisation", { name: organisation.name })
              : t("admin.confirmReactivateOrganisation", { name: organisation.name })}
          </p>
          <div className="admin-actions">
            <button
              type="button"
              className={active ? "danger" : "primary"}
              onClick={() => void setActive()}
              disabled={busy}
              aria-busy={busy}
            >
              {active ? t("admin.confirmDeactivate") : t("admin.confirmReactivate")}
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)} disabled={busy}>
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
