// Opening a patient's records for a clinician, a few at a time, through the keystore tier
// (src/lib/chart.ts). Each read is a logged access, so each record is asked for once.

import { useEffect, useRef, useState } from "react";
import { api } from "../api/client";
import { chartStateOf, keysHeldElsewhere } from "./chart";
import type { RecordOpenState } from "./openRecords";
import { outcome } from "./outcome";

const PARALLEL = 4;

export type ChartRecords = {
  /** Each record's state once opening started, by id. */
  opened: ReadonlyMap<string, RecordOpenState>;
  /** The institution keeps its own keys: nothing opens here (the service answered 409 so). */
  keysElsewhere: boolean;
};

/**
 * Every record of `recordIds` opened through GET /records/{id}/resource, for the patient `key`
 * names (a new patient starts over). The first record is asked alone: if the institution holds
 * its own keys, the others are not asked for.
 */
export function useChartRecords(key: string | null, recordIds: readonly string[]): ChartRecords {
  const [opened, setOpened] = useState<ReadonlyMap<string, RecordOpenState>>(new Map());
  const [keysElsewhere, setKeysElsewhere] = useState(false);
  const requested = useRef(new Set<string>());
  const generation = useRef(0);
  const probe = useRef<"none" | "asking" | "done">("none");

  // A new patient: forget what was opened (state adjusted while rendering, not in an effect).
  const [shownKey, setShownKey] = useState(key);
  if (shownKey !== key) {
    setShownKey(key);
    setOpened(new Map());
    setKeysElsewhere(false);
  }

  useEffect(() => {
    generation.current++;
    requested.current = new Set();
    probe.current = "none";
  }, [key]);

  useEffect(() => {
    if (key === null || keysElsewhere || probe.current === "asking") return;
    const todo = recordIds.filter((id) => !requested.current.has(id));
    if (todo.length === 0) return;
    // Until one answer came back, ask for one record only.
    const batch = probe.current === "done" ? todo : todo.slice(0, 1);
    if (probe.current === "none") probe.current = "asking";
    const mine = generation.current;
    for (const id of batch) requested.current.add(id);
    setOpened((prev) => {
      const next = new Map(prev);
      for (const id of batch) next.set(id, { status: "opening" });
      return next;
    });
    const queue = [...batch];
    let stop = false;
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined && !stop; id = queue.shift()) {
        const recordId = id;
        const result = await outcome(
          api.GET("/api/v1/records/{record_id}/resource", { params: { path: { record_id: recordId } } }),
        );
        if (mine !== generation.current) return;
        if (!result.ok && keysHeldElsewhere(result.status, result.problem)) {
          stop = true;
          setKeysElsewhere(true);
          setOpened(new Map());
          return;
        }
        const state = chartStateOf(result);
        setOpened((prev) => new Map(prev).set(recordId, state));
      }
    };
    void Promise.all(Array.from({ length: Math.min(PARALLEL, batch.length) }, () => worker())).then(() => {
      if (mine !== generation.current || probe.current !== "asking") return;
      probe.current = "done";
      // The other records: a state change re-runs this effect.
      setOpened((prev) => new Map(prev));
    });
  }, [key, recordIds, keysElsewhere, opened]);

  return { opened, keysElsewhere };
}
