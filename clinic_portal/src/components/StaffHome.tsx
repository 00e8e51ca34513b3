import { useCallback, useMemo, useRef, useState } from "react";
import { api, type Me, type PatientSummary, type RecordMetadata } from "../api/client";
import { t, useI18n } from "../i18n";
import { useChartRecords } from "../lib/chartRecords";
import { formatDate } from "../lib/format";
import { outcome } from "../lib/outcome";
import { useDirectory } from "../lib/useDirectory";
import { usePaged } from "../lib/usePaged";
import { ChartPanel } from "./ChartPanel";
import { PatientFinder } from "./PatientFinder";
import { Fact } from "./common";
import { WriteRecord } from "./WriteRecord";

/** Clinicians (physicians, nurses) allowed to write records write for the patients they find. */
export function canWriteRecords(me: Pick<Me, "roles" | "permissions">): boolean {
  return (
    me.permissions.includes("record:write") && (me.roles.includes("physician") || me.roles.includes("nurse"))
  );
}

export function StaffHome({ me }: { me: Me }) {
  // Re-render in the new language when the person switches it.
  useI18n();
  const [patient, setPatient] = useState<PatientSummary | null>(null);
  const cardHeading = useRef<HTMLHeadingElement>(null);

  const patientUhid = patient?.uhid ?? null;
  const records = usePaged<RecordMetadata>(patientUhid, (offset, limit) =>
    outcome(
      api.GET("/api/v1/patients/{uhid}/records", {
        params: { path: { uhid: patientUhid ?? "" }, query: { limit, offset } },
      }),
    ),
  );

  const recordIds = useMemo(() => records.items.map((r) => r.id), [records.items]);
  const chart = useChartRecords(patientUhid, recordIds);

  const directory = useDirectory();
  const orgName = useCallback(
    (id: string) => (me.organization && me.organization.id === id ? me.organization.name : directory.get(id)),
    [me.organization, directory],
  );

  return (
    <main className="content" id="main">
      <h1 className="page-title">{t("staff.title")}</h1>
      <div className="grid">
        <PatientFinder
          onFound={(found) => {
            setPatient(found);
            // Move focus to the patient card so keyboard and screen reader users land on the answer.
            if (found) requestAnimationFrame(() => cardHeading.current?.focus());
          }}
        />

        {patient && (
          <>
            <section className="card" data-testid="patient-card" aria-labelledby="patient-heading">
              <h2 id="patient-heading" tabIndex={-1} ref={cardHeading}>
                {patient.full_name}
              </h2>
              <dl className="facts">
                <Fact term={t("common.uhid")}>
                  <span className="uhid">{patient.uhid_display}</span>
                </Fact>
                {patient.date_of_birth && (
                  <Fact term={t("staff.dateOfBirth")}>
                    <time dateTime={patient.date_of_birth}>{formatDate(patient.date_of_birth, "UTC")}</time>
                  </Fact>
                )}
              </dl>
            </section>
            <ChartPanel
              records={records}
              chart={chart}
              viewerUhid={me.uhid}
              viewerOrgId={me.organization?.id ?? null}
              orgName={orgName}
            />
            {canWriteRecords(me) && <WriteRecord key={patient.uhid} uhid={patient.uhid} onSaved={records.reload} />}
          </>
        )}
      </div>
    </main>
  );
}

/** Roles that do not read patient records (organisation administrators, auditors, ...). */
export function OtherHome() {
  useI18n();
  return (
    <main className="content" id="main">
      <h1 className="page-title">{t("staff.other.title")}</h1>
      <section className="card" aria-labelledby="later-heading">
        <h2 id="later-heading">{t("staff.other.heading")}</h2>
        <p>{t("staff.other.body")}</p>
      </section>
    </main>
  );
}
