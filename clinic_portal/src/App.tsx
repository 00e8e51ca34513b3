import { useCallback, useEffect, useState } from "react";
import { api, onSessionEnded, restoreSession, signOut, type Me } from "./api/client";
import { Header } from "./components/Header";
import { PatientHome } from "./components/PatientHome";
import { SignIn } from "./components/SignIn";
import { OtherHome, StaffHome } from "./components/StaffHome";
import { problemDetail } from "./lib/format";
import { outcome } from "./lib/outcome";

type View = { kind: "starting" } | { kind: "signed-out"; notice: string } | { kind: "signed-in"; me: Me };

const SESSION_ENDED = "Your session has ended. Please sign in again.";

/** Which home a person sees: patients their own records; staff who may look up patients a search. */
export function homeFor(me: Pick<Me, "roles" | "permissions">): "patient" | "staff" | "other" {
  if (me.roles.includes("patient")) return "patient";
  if (me.permissions.includes("patient:read")) return "staff";
  return "other";
}

export function App() {
  const [view, setView] = useState<View>({ kind: "starting" });
  const [signingOut, setSigningOut] = useState(false);

  const loadMe = useCallback(async () => {
    const result = await outcome(api.GET("/api/v1/me"));
    if (result.ok) {
      setView({ kind: "signed-in", me: result.value });
    } else {
      await signOut();
      setView({ kind: "signed-out", notice: problemDetail(result.problem, result.status) });
    }
  }, []);

  // A reload of the tab: the stored refresh token gives a new access token, else sign in.
  useEffect(() => {
    let live = true;
    void restoreSession().then((ok) => {
      if (!live) return;
      if (ok) void loadMe();
      else setView({ kind: "signed-out", notice: "" });
    });
    return () => {
      live = false;
    };
  }, [loadMe]);

  useEffect(() => onSessionEnded(() => setView({ kind: "signed-out", notice: SESSION_ENDED })), []);

  useEffect(() => {
    document.title = view.kind === "signed-in" ? `${view.me.full_name} · OHMS clinic portal` : "OHMS clinic portal";
  }, [view]);

  const handleSignOut = useCallback(async () => {
    setSigningOut(true);
    await signOut();
    setSigningOut(false);
    setView({ kind: "signed-out", notice: "" });
  }, []);

  if (view.kind === "starting") {
    return (
      <main className="signin" id="main">
        <p className="muted loading" role="status">
          Loading the OHMS clinic portal…
        </p>
      </main>
    );
  }
  if (view.kind === "signed-out") {
    return <SignIn notice={view.notice} onSignedIn={loadMe} />;
  }
  const me = view.me;
  const home = homeFor(me);
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header me={me} onSignOut={() => void handleSignOut()} signingOut={signingOut} />
      {home === "patient" ? (
        <PatientHome key={me.id} me={me} />
      ) : home === "staff" ? (
        <StaffHome key={me.id} me={me} />
      ) : (
        <OtherHome />
      )}
    </div>
  );
}
