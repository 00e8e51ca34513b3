// The clinician's chart: the patient's records their institution may read, opened through the
// keystore tier and shown as people read them (RecordTimeline with the opened records);
// refused reads are said in words beside each record.

import type { RecordMetadata } from "../api/client";
import { t } from "../i18n";
import { chartCounts } from "../lib/chart";
import type { ChartRecords } from "../lib/chartRecords";
import type { Paged } from "../lib/usePaged";
import { RecordTimeline } from "./RecordTimeline";

export function ChartPanel({
  records,
  chart,
  viewerUhid,
  viewerOrgId,
  orgName,
}: {
  records: Paged<RecordMetadata>;
  chart: ChartRecords;
  viewerUhid: string;
  viewerOrgId: string | null;
  orgName: (id: string) => string | undefined;
}) {
  const counts = chartCounts(chart.opened);
  return (
    <section className="card chart" data-testid="records" aria-labelledby="patient-records-heading">
      <h2 id="patient-records-heading">{t("staff.chart.heading")}</h2>
      <p className="muted">{chart.keysElsewhere ? t("staff.chart.introListed") : t("staff.chart.intro")}</p>
      {chart.keysElsewhere ? (
        <p className="chart-notice" role="note">
          {t("staff.chart.keysElsewhere")}
        </p>
      ) : (
        records.items.length > 0 && (
          <p className="chart-counts" role="status" data-testid="chart-counts">
            {counts.opening > 0
              ? t("staff.chart.opening")
              : t("staff.chart.counts", { opened: counts.opened, refused: counts.refused })}
          </p>
        )
      )}
      <RecordTimeline
        page={records}
        viewerUhid={viewerUhid}
        viewerOrgId={viewerOrgId}
        orgName={orgName}
        lockedNote={chart.keysElsewhere ? t("staff.chart.lockedElsewhere") : t("staff.chart.notOpenedYet")}
        opened={chart.opened}
      />
    </section>
  );
}
