// Names of bookable practitioners by id, from the directory: appointments carry ids only.

import { useEffect, useState } from "react";
import { api } from "../api/client";
import { outcome } from "./outcome";
import type { PractitionerOut } from "./scheduling";

/** The directory's practitioners (of one organisation, if named), by id; empty until loaded. */
export function usePractitioners(organization?: string | null, round = 0): Map<string, PractitionerOut> {
  const [found, setFound] = useState<Map<string, PractitionerOut>>(new Map());
  useEffect(() => {
    let live = true;
    const query = organization ? { organization, limit: 200 } : { limit: 200 };
    void outcome(api.GET("/api/v1/directory/practitioners", { params: { query } })).then((result) => {
      if (live && result.ok) setFound(new Map(result.value.map((p) => [p.id, p])));
    });
    return () => {
      live = false;
    };
  }, [organization, round]);
  return found;
}
