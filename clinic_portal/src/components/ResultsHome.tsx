// The lab and radiology screen: find the patient by UHID, then write a lab result (lab
// technicians) or upload a study, see its images and write its report (radiologists).

import { useCallback, useEffect, useRef, useState } from "react";
import { api, type Me, type PatientSummary, type RecordMetadata } from "../api/client";
import { t, useI18n } from "../i18n";
import { formatDate } from "../lib/format";
import { outcome } from "../lib/outcome";
import { useDirectory } from "../lib/useDirectory";
import { usePaged } from "../lib/usePaged";
import { hashParameters } from "../screens";
import { Fact } from "./common";
import { RecordTimeline } from "./RecordTimeline";
import { ResultLabForm } from "./ResultLabForm";
import { PatientFinder } from "./PatientFinder";
import { StudyList } from "./StudyList";
import { StudyUpload } from "./StudyUpload";

export function ResultsHome({ me }: { me: Me }) {
  useI18n(); // a change of language re-renders the screen in the new words
  const [patient, setPatient] = useState<PatientSummary | null>(null);
  // Opened from the work list: the order's patient, and the order a study is uploaded against.
  const [opened] = useState(() => hashParameters(window.location.hash));
  const cardHeading = useRef<HTMLHeadingElement>(null);
  const isLab = me.roles.includes("lab_technician");
  const isRadiologist = me.roles.includes("radiologist");

  useEffect(() => {
    // Move focus to the patient card so keyboard and screen reader users land on the answer.
    if (patient) requestAnimationFrame(() => cardHeading.current?.focus());
  }, [patient]);

  return (
    <main className="content" id="main">
      <h1 className="page-title">{isRadiologist && !isLab ? t("results.title.radiology") : t("results.title.lab")}</h1>
      <div className="grid">
        <PatientFinder onFound={setPatient} initialUhid={opened.get("uhid") ?? ""} />
        {patient && (
          <>
            <section className="card" data-testid="patient-card" aria-labelledby="results-patient-heading">
              <h2 id="results-patient-heading" tabIndex={-1} ref={cardHeading}>
                {patient.full_name}
              </h2>
              <dl className="facts">
                <Fact term={t("common.uhid")}>
                  <span className="uhid">{patient.uhid_display}</span>
                </Fact>
                {patient.date_of_birth && (
                  <Fact term={t("results.patient.born")}>
                    <time dateTime={patient.date_of_birth}>{formatDate(patient.date_of_birth, "UTC")}</time>
                  </Fact>
                )}
              </dl>
            </section>
            {isLab && <LabWork key={`lab-${patient.uhid}`} me={me} uhid={patient.uhid} />}
            {isRadiologist && (
              <RadiologyWork
                key={`rad-${patient.uhid}`}
                me={me}
                uhid={patient.uhid}
                order={patient.uhid === opened.get("uhid") ? opened.get("order") : null}
              />
            )}
          </>
        )}
      </div>
    </main>
  );
}

function LabWork({ me, uhid }: { me: Me; uhid: string }) {
  const records = usePaged<RecordMetadata>(uhid, (offset, limit) =>
    outcome(api.GET("/api/v1/patients/{uhid}/records", { params: { path: { uhid }, query: { limit, offset } } })),
  );
  const directory = useDirectory();
  const orgName = useCallback(
    (id: string) => (me.organization && me.organization.id === id ? me.organization.name : directory.get(id)),
    [me.organization, directory],
  );
  const reload = records.reload;
  return (
    <>
      <ResultLabForm uhid={uhid} onSaved={() => reload(1)} />
      <section className="card" data-testid="records" aria-labelledby="results-records-heading">
        <h2 id="results-records-heading">{t("results.records.heading")}</h2>
        <p className="muted">{t("results.records.intro")}</p>
        <RecordTimeline
          page={records}
          viewerUhid={me.uhid}
          orgName={orgName}
          lockedNote={t("results.records.locked")}
          viewerOrgId={me.organization?.id ?? null}
        />
      </section>
    </>
  );
}

function RadiologyWork({ me, uhid, order }: { me: Me; uhid: string; order: string | null }) {
  const [uploads, setUploads] = useState(0);
  return (
    <>
      <StudyUpload uhid={uhid} order={order} onUploaded={() => setUploads((n) => n + 1)} />
      <StudyList
        uhid={uhid}
        viewerOrgId={me.organization?.id ?? null}
        canReport={me.roles.includes("radiologist")}
        reloadKey={String(uploads)}
      />
    </>
  );
}
