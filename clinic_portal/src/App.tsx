import { lazy, Suspense, useCallback, useEffect, useState } from "react";
import { api, onSessionEnded, restoreSession, signOut, type Me } from "./api/client";
import { ConfirmEmail } from "./components/ConfirmEmail";
import { Header } from "./components/Header";
import { ResetPassword } from "./components/ResetPassword";
import { SignIn } from "./components/SignIn";
import { I18nProvider, t, useI18n } from "./i18n";
import { publicAccountScreen } from "./lib/accountLinks";
import { problemDetail } from "./lib/format";
import { outcome } from "./lib/outcome";
import { lockWallet } from "./lib/wallet";
import { screenFromHash, screensFor, SETTINGS_SCREENS, type ScreenId } from "./screens";

// Each screen is loaded when first opened: the sign-in page loads none of them.
const PatientHome = lazy(() => import("./components/PatientHome").then((m) => ({ default: m.PatientHome })));
const StaffHome = lazy(() => import("./components/StaffHome").then((m) => ({ default: m.StaffHome })));
const OtherHome = lazy(() => import("./components/StaffHome").then((m) => ({ default: m.OtherHome })));
const ResultsHome = lazy(() => import("./components/ResultsHome").then((m) => ({ default: m.ResultsHome })));
const AuditorHome = lazy(() => import("./components/AuditorHome").then((m) => ({ default: m.AuditorHome })));
const MembersHome = lazy(() => import("./components/MembersHome").then((m) => ({ default: m.MembersHome })));
const RolesHome = lazy(() => import("./components/RolesHome").then((m) => ({ default: m.RolesHome })));
const AppointmentsHome = lazy(() =>
  import("./components/AppointmentsHome").then((m) => ({ default: m.AppointmentsHome })),
);
const CalendarHome = lazy(() => import("./components/CalendarHome").then((m) => ({ default: m.CalendarHome })));
const BookingsHome = lazy(() => import("./components/BookingsHome").then((m) => ({ default: m.BookingsHome })));
const ScheduleHome = lazy(() => import("./components/ScheduleHome").then((m) => ({ default: m.ScheduleHome })));
const NotificationInbox = lazy(() =>
  import("./components/NotificationInbox").then((m) => ({ default: m.NotificationInbox })),
);
const NotificationSettings = lazy(() =>
  import("./components/NotificationSettings").then((m) => ({ default: m.NotificationSettings })),
);
const OrganisationsHome = lazy(() =>
  import("./components/OrganisationsHome").then((m) => ({ default: m.OrganisationsHome })),
);

const PharmacyHome = lazy(() => import("./components/PharmacyHome").then((m) => ({ default: m.PharmacyHome })));
const StockHome = lazy(() => import("./components/StockHome").then((m) => ({ default: m.StockHome })));
const PurchaseOrdersHome = lazy(() =>
  import("./components/PurchaseOrdersHome").then((m) => ({ default: m.PurchaseOrdersHome })),
);
const VendorCatalogue = lazy(() => import("./components/VendorCatalogue").then((m) => ({ default: m.VendorCatalogue })));

const OrdersHome = lazy(() => import("./components/OrdersHome").then((m) => ({ default: m.OrdersHome })));
const BillsHome = lazy(() => import("./components/BillsHome").then((m) => ({ default: m.BillsHome })));
const BillingDesk = lazy(() => import("./components/BillingDesk").then((m) => ({ default: m.BillingDesk })));
const PriceListHome = lazy(() => import("./components/PriceListHome").then((m) => ({ default: m.PriceListHome })));
const ClaimQueue = lazy(() => import("./components/ClaimQueue").then((m) => ({ default: m.ClaimQueue })));
const ReportsHome = lazy(() => import("./components/ReportsHome").then((m) => ({ default: m.ReportsHome })));
const OrderWorklist = lazy(() => import("./components/OrderWorklist").then((m) => ({ default: m.OrderWorklist })));

type View = { kind: "starting" } | { kind: "signed-out"; notice: string } | { kind: "signed-in"; me: Me };

export function App() {
  return (
    <I18nProvider>
      <Portal />
    </I18nProvider>
  );
}

function Portal() {
  // Read here so a change of language re-renders every screen below with its new words.
  useI18n();
  const [view, setView] = useState<View>({ kind: "starting" });
  const [signingOut, setSigningOut] = useState(false);
  const [hash, setHash] = useState(() => window.location.hash);

  const loadMe = useCallback(async () => {
    const result = await outcome(api.GET("/api/v1/me"));
    if (result.ok) {
      setView({ kind: "signed-in", me: result.value });
    } else if (result.status === 401) {
      await signOut();
      setView({ kind: "signed-out", notice: problemDetail(result.problem, result.status) });
    }
    // Other failures (the service briefly unreachable) keep the screen as it is.
  }, []);

  // A reload of the tab: the refresh cookie gives a new access token, else sign in.
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

  useEffect(() => onSessionEnded(() => setView({ kind: "signed-out", notice: t("common.sessionEnded") })), []);

  // Each change of screen, and each return to the tab, asks the service again who this is:
  // a role or permission changed by an administrator shows at once.
  const signedIn = view.kind === "signed-in";
  useEffect(() => {
    const onHash = () => {
      setHash(window.location.hash);
      if (signedIn) void loadMe();
    };
    const onFocus = () => {
      if (signedIn && document.visibilityState === "visible") void loadMe();
    };
    window.addEventListener("hashchange", onHash);
    document.addEventListener("visibilitychange", onFocus);
    return () => {
      window.removeEventListener("hashchange", onHash);
      document.removeEventListener("visibilitychange", onFocus);
    };
  }, [signedIn, loadMe]);

  useEffect(() => {
    document.title = view.kind === "signed-in" ? `${view.me.full_name} · ${t("common.portalName")}` : t("common.portalName");
  }, [view]);

  const handleSignOut = useCallback(async () => {
    setSigningOut(true);
    lockWallet(); // the wallet's key is forgotten with the sign-in
    await signOut();
    setSigningOut(false);
    setView({ kind: "signed-out", notice: "" });
  }, []);

  // A mailed link (reset a password, confirm an address) opens its page whoever is signed in.
  // Leaving it takes the token out of the address (and of the tab's history).
  const account = publicAccountScreen(hash);
  if (account) {
    const leave = () => {
      window.history.replaceState(null, "", window.location.pathname + window.location.search);
      setHash("");
    };
    if (account.kind === "confirm-email") return <ConfirmEmail token={account.token} onDone={leave} />;
    return (
      <ResetPassword
        token={account.token}
        onDone={() => {
          leave();
          // The reset ended every sign-in of the account: sign in again with the new password.
          if (view.kind === "signed-in") setView({ kind: "signed-out", notice: "" });
        }}
      />
    );
  }
  if (view.kind === "starting") {
    return (
      <main className="signin" id="main">
        <p className="muted loading" role="status">
          {t("common.loadingPortal")}
        </p>
      </main>
    );
  }
  if (view.kind === "signed-out") {
    return <SignIn notice={view.notice} onSignedIn={loadMe} />;
  }
  const me = view.me;
  const screens = [...screensFor(me), ...SETTINGS_SCREENS];
  const screen = screenFromHash(hash, screens);
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        {t("common.skipToContent")}
      </a>
      <Header me={me} screens={screens} current={screen} onSignOut={() => void handleSignOut()} signingOut={signingOut} />
      <Suspense
        fallback={
          <main className="content" id="main">
            <p className="muted loading" role="status">
              {t("common.loadingPortal")}
            </p>
          </main>
        }
      >
        <ScreenView key={`${me.id}:${screen ?? ""}`} screen={screen} me={me} />
      </Suspense>
    </div>
  );
}

function ScreenView({ screen, me }: { screen: ScreenId | null; me: Me }) {
  switch (screen) {
    case "health":
      return <PatientHome me={me} />;
    case "appointments":
      return <AppointmentsHome me={me} />;
    case "calendar":
      return <CalendarHome me={me} />;
    case "bookings":
      return <BookingsHome me={me} />;
    case "schedules":
      return <ScheduleHome me={me} />;
    case "patients":
      return <StaffHome me={me} />;
    case "results":
      return <ResultsHome me={me} />;
    case "audit":
      return <AuditorHome me={me} />;
    case "members":
      return <MembersHome me={me} />;
    case "roles":
      return <RolesHome me={me} />;
    case "organisations":
      return <OrganisationsHome me={me} />;
    case "prescriptions":
      return <PharmacyHome me={me} />;
    case "stock":
      return <StockHome />;
    case "purchase-orders":
      return <PurchaseOrdersHome me={me} />;
    case "catalogue":
      return <VendorCatalogue me={me} />;
    case "orders":
      return <OrdersHome me={me} />;
    case "worklist":
      return <OrderWorklist me={me} />;
    case "bills":
      return <BillsHome me={me} />;
    case "billing":
      return <BillingDesk me={me} />;
    case "prices":
      return <PriceListHome me={me} />;
    case "claims":
      return <ClaimQueue me={me} />;
    case "reports":
      return <ReportsHome me={me} />;
    case "inbox":
      return <NotificationInbox me={me} />;
    case "settings/notifications":
      return <NotificationSettings me={me} />;
    case null:
      return <OtherHome />;
  }
}
