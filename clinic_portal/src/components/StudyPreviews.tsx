// A study's preview images, fetched with the bearer token into blob: URLs (src/lib/imagingStudies.ts).

import { t } from "../i18n";
import { usePreviewUrls } from "../lib/imagingStudies";

export function StudyPreviews({
  studyId,
  sops,
  positions,
  total,
  what,
}: {
  studyId: string;
  /** The instances to show. */
  sops: readonly string[];
  /** Each shown instance's place in the study (1-based), for its alt text. */
  positions: ReadonlyMap<string, number>;
  /** How many images the study has. */
  total: number;
  /** What the study is, for alt texts ("CT scan"). */
  what: string;
}) {
  const previews = usePreviewUrls(studyId, sops);
  if (sops.length === 0) return null;
  return (
    // A group, not a list: these sit inside the timeline's list items, whose count people and
    // tests read as the number of records.
    <div className="study-previews" role="group" aria-label={t("records.study.previews")}>
      {sops.map((sop) => {
        const state = previews.get(sop);
        const n = positions.get(sop) ?? 0;
        const alt = t("records.study.previewAlt", { what, n, total });
        return (
          <div key={sop} className="study-preview">
            {state?.status === "ready" ? (
              <img src={state.url} alt={alt} width={128} height={128} />
            ) : state?.status === "error" ? (
              <span className="study-preview-missing">{state.message || t("records.study.previewFailed")}</span>
            ) : (
              <span className="study-preview-missing" role="status">
                {t("records.study.previewLoading")}
              </span>
            )}
          </div>
        );
      })}
    </div>
  );
}
