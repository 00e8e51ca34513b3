// A practitioner's directory profile (the practitioner's own, or by their organisation's
// administrators): specialty, languages and fee, with the entry as patients will find it.

import { useEffect, useId, useState, type FormEvent } from "react";
import { api } from "../api/client";
import { t } from "../i18n";
import { feeInWords, languagesInWords } from "../lib/calendarFormat";
import { problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import {
  checkProfile,
  profileBody,
  profileFormOf,
  profilePreview,
  profileRefusalField,
  type ProfileField,
  type ProfileForm,
  type ProfileProblems,
} from "../lib/profileForm";
import type { PractitionerOut } from "../lib/scheduling";
import { ErrorAlert, Fact, Loading } from "./common";

type Entry = Pick<PractitionerOut, "name" | "organization_name" | "specialty" | "specialty_code" | "languages" | "fee">;

/** The practitioner's entry as the directory lists it now (null when not listed yet). */
function useDirectoryEntry(practitioner: string, organization: string, name: string) {
  const [state, setState] = useState<{ status: "loading" | "ready" | "error"; entry: PractitionerOut | null; error: string }>({
    status: "loading",
    entry: null,
    error: "",
  });
  useEffect(() => {
    let live = true;
    void outcome(
      api.GET("/api/v1/directory/practitioners", { params: { query: { organization, q: name, limit: 200 } } }),
    ).then((result) => {
      if (!live) return;
      setState(
        result.ok
          ? { status: "ready", entry: result.value.find((p) => p.id === practitioner) ?? null, error: "" }
          : { status: "error", entry: null, error: problemDetail(result.problem, result.status) },
      );
    });
    return () => {
      live = false;
    };
  }, [practitioner, organization, name]);
  return state;
}

export function ProfileEditor({
  practitioner,
  name,
  organization,
  organizationName,
}: {
  practitioner: string;
  name: string;
  organization: string;
  organizationName: string;
}) {
  const id = useId();
  const found = useDirectoryEntry(practitioner, organization, name);
  return (
    <section className="card" aria-labelledby={`${id}-heading`} data-testid="profile">
      <h2 id={`${id}-heading`}>{t("scheduling.profile.heading", { name })}</h2>
      {found.status === "loading" && <Loading what={t("scheduling.profile.what")} />}
      <ErrorAlert message={found.error} />
      {found.status !== "loading" && (
        <ProfileFormCard
          key={found.entry ? "listed" : "new"}
          practitioner={practitioner}
          current={found.entry ?? { name, organization_name: organizationName, specialty: null, specialty_code: null, languages: [], fee: null }}
          listed={found.entry !== null}
        />
      )}
    </section>
  );
}

function ProfileFormCard({ practitioner, current, listed }: { practitioner: string; current: Entry; listed: boolean }) {
  const id = useId();
  const [saved, setSaved] = useState<Entry>(current);
  const [form, setForm] = useState<ProfileForm>(() => profileFormOf(current));
  const [problems, setProblems] = useState<ProfileProblems>({});
  const [refusal, setRefusal] = useState<{ field: ProfileField | "form"; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  // Saving a profile lists the practitioner in the directory.
  const [isListed, setListed] = useState(listed);

  const update = (patch: Partial<ProfileForm>) => {
    const next = { ...form, ...patch };
    setForm(next);
    if (Object.keys(problems).length) setProblems(checkProfile(next));
    setRefusal(null);
    setDone(false);
  };

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const found = checkProfile(form);
    setProblems(found);
    setDone(false);
    if (Object.keys(found).length) return;
    setBusy(true);
    const result = await outcome(
      api.PUT("/api/v1/practitioners/{practitioner_id}/profile", {
        params: { path: { practitioner_id: practitioner } },
        body: profileBody(form),
      }),
    );
    setBusy(false);
    if (result.ok) {
      setSaved(result.value);
      setForm(profileFormOf(result.value));
      setDone(true);
      setListed(true);
    } else {
      setRefusal({ field: profileRefusalField(result.problem), message: problemDetail(result.problem, result.status) });
    }
  }

  const problemOf = (field: ProfileField) => {
    const key = problems[field];
    const text = key ? t(key) : refusal?.field === field ? refusal.message : "";
    return text;
  };
  const fieldAttrs = (field: ProfileField, hint?: string) => {
    const problem = problemOf(field);
    const describedBy = [hint, problem ? `${id}-${field}-error` : undefined].filter(Boolean).join(" ");
    return {
      id: `${id}-${field}`,
      ...(problem ? { "aria-invalid": true as const } : {}),
      ...(describedBy ? { "aria-describedby": describedBy } : {}),
    };
  };
  const errorOf = (field: ProfileField) => {
    const problem = problemOf(field);
    return problem ? (
      <p className="alert" role="alert" id={`${id}-${field}-error`}>
        {problem}
      </p>
    ) : null;
  };
  const preview = profilePreview(saved, form);
  const changed = JSON.stringify(profileBody(form)) !== JSON.stringify(profileBody(profileFormOf(saved)));

  return (
    <div className="profile-layout">
      <form className="sched-form profile-form" onSubmit={(e) => void save(e)} noValidate>
        {!isListed && <p className="hint">{t("scheduling.profile.notListed")}</p>}
        <div className="sched-two">
          <div className="field">
            <label htmlFor={`${id}-specialty`}>{t("scheduling.profile.specialty")}</label>
            <input
              type="text"
              maxLength={200}
              value={form.specialty}
              onChange={(e) => update({ specialty: e.target.value })}
              {...fieldAttrs("specialty")}
            />
            {errorOf("specialty")}
          </div>
          <div className="field">
            <label htmlFor={`${id}-specialtyCode`}>{t("scheduling.profile.code")}</label>
            <input
              type="text"
              inputMode="numeric"
              autoComplete="off"
              value={form.specialtyCode}
              onChange={(e) => update({ specialtyCode: e.target.value })}
              {...fieldAttrs("specialtyCode", `${id}-code-hint`)}
            />
            <p className="hint" id={`${id}-code-hint`}>
              {t("scheduling.profile.codeHint")}
            </p>
            {errorOf("specialtyCode")}
          </div>
        </div>
        <div className="field">
          <label htmlFor={`${id}-languages`}>{t("scheduling.profile.languages")}</label>
          <input
            type="text"
            autoComplete="off"
            spellCheck={false}
            value={form.languages}
            onChange={(e) => update({ languages: e.target.value })}
            {...fieldAttrs("languages", `${id}-languages-hint`)}
          />
          <p className="hint" id={`${id}-languages-hint`}>
            {t("scheduling.profile.languagesHint")}
          </p>
          {errorOf("languages")}
        </div>
        <div className="sched-two">
          <div className="field">
            <label htmlFor={`${id}-feeAmount`}>{t("scheduling.profile.fee")}</label>
            <input
              type="text"
              inputMode="decimal"
              autoComplete="off"
              value={form.feeAmount}
              onChange={(e) => update({ feeAmount: e.target.value })}
              {...fieldAttrs("feeAmount", `${id}-fee-hint`)}
            />
            <p className="hint" id={`${id}-fee-hint`}>
              {t("scheduling.profile.feeHint")}
            </p>
            {errorOf("feeAmount")}
          </div>
          <div className="field">
            <label htmlFor={`${id}-feeCurrency`}>{t("scheduling.profile.currency")}</label>
            <input
              type="text"
              autoComplete="off"
              maxLength={3}
              value={form.feeCurrency}
              onChange={(e) => update({ feeCurrency: e.target.value.toUpperCase() })}
              {...fieldAttrs("feeCurrency")}
            />
            {errorOf("feeCurrency")}
          </div>
        </div>
        {refusal?.field === "form" && (
          <p className="alert" role="alert">
            {refusal.message}
          </p>
        )}
        {done && (
          <p className="success" role="status">
            {t("scheduling.profile.saved")}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy} aria-busy={busy}>
          {t("scheduling.profile.save")}
        </button>
      </form>
      <div className="profile-preview" role="group" aria-labelledby={`${id}-preview`} data-testid="profile-preview">
        <h3 id={`${id}-preview`}>{changed ? t("scheduling.profile.previewUnsaved") : t("scheduling.profile.preview")}</h3>
        <div className="item">
          <div className="item-head">
            <span className="item-title">{preview.name}</span>
            <span className="muted">{preview.organization_name}</span>
          </div>
          <dl className="facts">
            <Fact term={t("scheduling.specialty")}>{preview.specialty ?? t("scheduling.profile.notGiven")}</Fact>
            <Fact term={t("scheduling.languages")}>
              {preview.languages.length > 0 ? languagesInWords(preview.languages) : t("scheduling.profile.notGiven")}
            </Fact>
            <Fact term={t("scheduling.fee")}>
              {preview.fee ? feeInWords(preview.fee.amount, preview.fee.currency) : t("scheduling.profile.notGiven")}
            </Fact>
          </dl>
        </div>
      </div>
    </div>
  );
}
