// "Rooms and equipment" of the organisation (its helpdesk and administrators): the list, each
// with a way to its weekly hours, and a new room or piece of equipment.

import { useId, useState, type FormEvent } from "react";
import { api } from "../api/client";
import { t } from "../i18n";
import { problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import { resourceNameProblem, type ResourceKind, type ResourceOut } from "../lib/schedOwner";
import type { Paged } from "../lib/usePaged";
import { Badge, PagedList } from "./common";

export function resourceKindInWords(kind: string): string {
  return kind === "equipment" ? t("scheduling.resource.kind.equipment") : t("scheduling.resource.kind.room");
}

export function ResourceEditor({
  resources,
  onCreated,
  onChoose,
}: {
  resources: Paged<ResourceOut>;
  onCreated: (resource: ResourceOut) => void;
  /** Open the resource's schedules (the schedule editor below). */
  onChoose: (resource: ResourceOut) => void;
}) {
  const id = useId();
  return (
    <section className="card" aria-labelledby={`${id}-heading`} data-testid="resources">
      <h2 id={`${id}-heading`}>{t("scheduling.resource.heading")}</h2>
      <p className="hint">{t("scheduling.resource.explain")}</p>
      <PagedList
        page={resources}
        what={t("scheduling.resource.what")}
        empty={t("scheduling.resource.none")}
        render={(r) => (
          <li key={r.id} className="item resource-item">
            <div className="item-head">
              <span className="item-title">{r.name}</span>
              <Badge tone={r.kind === "room" ? "new" : "other"}>{resourceKindInWords(r.kind)}</Badge>
            </div>
            <div className="sched-actions">
              <button
                type="button"
                className="secondary"
                onClick={() => onChoose(r)}
                aria-label={t("scheduling.resource.hoursOf", { name: r.name })}
              >
                {t("scheduling.resource.hours")}
              </button>
            </div>
          </li>
        )}
      />
      <NewResource onCreated={onCreated} />
    </section>
  );
}

function NewResource({ onCreated }: { onCreated: (resource: ResourceOut) => void }) {
  const id = useId();
  const [name, setName] = useState("");
  const [kind, setKind] = useState<ResourceKind>("room");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ field: "name" | "form"; message: string } | null>(null);
  const [created, setCreated] = useState("");

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setCreated("");
    const problem = resourceNameProblem(name);
    if (problem) {
      setError({ field: "name", message: t(problem === "empty" ? "scheduling.resource.check.name" : "scheduling.resource.check.long") });
      return;
    }
    setBusy(true);
    setError(null);
    const result = await outcome(api.POST("/api/v1/resources", { body: { name: name.trim(), kind } }));
    setBusy(false);
    if (result.ok) {
      setName("");
      setCreated(t("scheduling.resource.created", { name: result.value.name }));
      onCreated(result.value);
    } else {
      const detail = problemDetail(result.problem, result.status);
      setError({ field: result.status === 422 ? "name" : "form", message: detail });
    }
  }

  return (
    <form className="sched-form resource-new" onSubmit={(e) => void create(e)} noValidate aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`}>{t("scheduling.resource.new")}</h3>
      <div className="field">
        <label htmlFor={`${id}-name`}>{t("scheduling.resource.name")}</label>
        <input
          id={`${id}-name`}
          type="text"
          maxLength={200}
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            setError(null);
          }}
          aria-invalid={error?.field === "name" ? true : undefined}
          aria-describedby={error?.field === "name" ? `${id}-name-error` : `${id}-name-hint`}
        />
        <p className="hint" id={`${id}-name-hint`}>
          {t("scheduling.resource.nameHint")}
        </p>
        {error?.field === "name" && (
          <p className="alert" role="alert" id={`${id}-name-error`}>
            {error.message}
          </p>
        )}
      </div>
      <fieldset className="share-choice">
        <legend>{t("scheduling.resource.kind")}</legend>
        {(["room", "equipment"] as const).map((k) => (
          <label key={k} className="share-radio">
            <input type="radio" name={`${id}-kind`} value={k} checked={kind === k} onChange={() => setKind(k)} />
            {resourceKindInWords(k)}
          </label>
        ))}
      </fieldset>
      {error?.field === "form" && (
        <p className="alert" role="alert">
          {error.message}
        </p>
      )}
      {created && (
        <p className="success" role="status">
          {created}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy} aria-busy={busy}>
        {t("scheduling.resource.add")}
      </button>
    </form>
  );
}
