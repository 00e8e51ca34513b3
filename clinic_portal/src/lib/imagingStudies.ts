// A patient's imaging studies from the API: the list, one study's series and reports, and
// its preview images. Previews need the bearer token, which <img src> cannot carry, so each
// PNG is fetched by the api client into a blob: URL (allowed by the portal's CSP), revoked
// when the images leave the screen.

import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { components } from "../api/schema";
import { problemDetail } from "./format";
import type { StudyDetail, StudySummary } from "./imaging";
import { outcome, type Outcome } from "./outcome";

export type StudyUploaded = components["schemas"]["StudyUploaded"];

/** The API's largest page: a patient has few studies, so one page holds them all. */
const STUDIES_PAGE = 200;

export function fetchPatientStudies(uhid: string): Promise<Outcome<StudySummary[]>> {
  return outcome(
    api.GET("/api/v1/patients/{uhid}/imaging/studies", {
      params: { path: { uhid }, query: { limit: STUDIES_PAGE, offset: 0 } },
    }),
  );
}

export type Loaded<T> = { status: "loading" } | { status: "ready"; value: T } | { status: "error"; message: string };

/** The patient's studies (reloaded when `key` changes); nothing is asked while `uhid` is null. */
export function usePatientStudies(uhid: string | null, key: string): Loaded<StudySummary[]> | null {
  const [state, setState] = useState<{ for: string; loaded: Loaded<StudySummary[]> } | null>(null);
  const wanted = uhid === null ? null : `${uhid}|${key}`;
  useEffect(() => {
    if (uhid === null || wanted === null) return;
    let live = true;
    void fetchPatientStudies(uhid).then((result) => {
      if (!live) return;
      setState({
        for: wanted,
        loaded: result.ok
          ? { status: "ready", value: result.value }
          : { status: "error", message: problemDetail(result.problem, result.status) },
      });
    });
    return () => {
      live = false;
    };
  }, [uhid, wanted]);
  if (wanted === null) return null;
  // While a new key loads, what was shown for the same patient stays (no flicker on reload).
  if (!state) return { status: "loading" };
  if (state.for === wanted || state.for.startsWith(`${uhid ?? ""}|`)) return state.loaded;
  return { status: "loading" };
}

/** One study's series, instances and reports (reloaded when `version` changes). */
export function useStudyDetail(studyId: string | null, version = 0): Loaded<StudyDetail> | null {
  const [state, setState] = useState<{ for: string; loaded: Loaded<StudyDetail> } | null>(null);
  useEffect(() => {
    if (studyId === null) return;
    let live = true;
    void outcome(api.GET("/api/v1/imaging/studies/{study_id}", { params: { path: { study_id: studyId } } })).then(
      (result) => {
        if (!live) return;
        setState({
          for: studyId,
          loaded: result.ok
            ? { status: "ready", value: result.value }
            : { status: "error", message: problemDetail(result.problem, result.status) },
        });
      },
    );
    return () => {
      live = false;
    };
  }, [studyId, version]);
  if (studyId === null) return null;
  return state && state.for === studyId ? state.loaded : { status: "loading" };
}

export type PreviewState = { status: "loading" } | { status: "ready"; url: string } | { status: "error"; message: string };

/** Preview PNGs of these instances as blob: URLs, each revoked when the list changes or unmounts. */
export function usePreviewUrls(studyId: string, sops: readonly string[], size = 256): ReadonlyMap<string, PreviewState> {
  const joined = sops.join("|");
  const [shown, setShown] = useState<{ for: string; previews: ReadonlyMap<string, PreviewState> }>({
    for: "",
    previews: new Map(),
  });
  const key = `${studyId}|${size}|${joined}`;
  useEffect(() => {
    const wanted = joined ? joined.split("|") : [];
    const made: string[] = [];
    let live = true;
    for (const sop of wanted) {
      void outcome(
        api.GET("/api/v1/imaging/studies/{study_id}/instances/{sop_instance_uid}/preview.png", {
          params: { path: { study_id: studyId, sop_instance_uid: sop }, query: { size } },
          parseAs: "blob",
        }),
      ).then((result) => {
        let state: PreviewState;
        if (result.ok && result.value instanceof Blob) {
          if (!live) return;
          const url = URL.createObjectURL(result.value);
          made.push(url);
          state = { status: "ready", url };
        } else {
          state = { status: "error", message: result.ok ? "" : problemDetail(result.problem, result.status) };
        }
        if (!live) return;
        setShown((prev) => ({
          for: key,
          previews: new Map(prev.for === key ? prev.previews : []).set(sop, state),
        }));
      });
    }
    return () => {
      live = false;
      for (const url of made) URL.revokeObjectURL(url);
    };
  }, [studyId, size, joined, key]);
  return shown.for === key ? shown.previews : new Map();
}
