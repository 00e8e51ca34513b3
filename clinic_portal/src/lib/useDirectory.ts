import { useEffect, useState } from "react";
import { api } from "../api/client";
import { outcome } from "./outcome";

/** Names of organisations by id, from the directory (best effort: ids stay unnamed if it fails). */
export function useDirectory(): Map<string, string> {
  const [names, setNames] = useState<Map<string, string>>(new Map());
  useEffect(() => {
    let live = true;
    void outcome(api.GET("/api/v1/directory/organizations", { params: { query: { limit: 200 } } })).then(
      (result) => {
        if (live && result.ok) setNames(new Map(result.value.map((org) => [org.id, org.name])));
      },
    );
    return () => {
      live = false;
    };
  }, []);
  return names;
}
