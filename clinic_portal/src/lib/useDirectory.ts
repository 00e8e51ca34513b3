import { useEffect, useMemo, useState } from "react";
import { api, type DirectoryEntry } from "../api/client";
import { problemDetail } from "./format";
import { outcome } from "./outcome";

export type Directory = {
  entries: DirectoryEntry[];
  status: "loading" | "ready" | "error";
  error: string;
};

/** The organisations of the directory (first 200, active ones), with their published keys. */
export function useDirectoryEntries(): Directory {
  const [directory, setDirectory] = useState<Directory>({ entries: [], status: "loading", error: "" });
  useEffect(() => {
    let live = true;
    void outcome(api.GET("/api/v1/directory/organizations", { params: { query: { limit: 200 } } })).then(
      (result) => {
        if (!live) return;
        setDirectory(
          result.ok
            ? { entries: result.value, status: "ready", error: "" }
            : { entries: [], status: "error", error: problemDetail(result.problem, result.status) },
        );
      },
    );
    return () => {
      live = false;
    };
  }, []);
  return directory;
}

/** Names of organisations by id, from the directory entries. */
export function namesOf(entries: readonly DirectoryEntry[]): Map<string, string> {
  return new Map(entries.map((org) => [org.id, org.name]));
}

/** Names of organisations by id, from the directory (best effort: ids stay unnamed if it fails). */
export function useDirectory(): Map<string, string> {
  const { entries } = useDirectoryEntries();
  return useMemo(() => namesOf(entries), [entries]);
}
