import type { Me } from "../api/client";
import { t } from "../i18n";

/** Placeholder: this screen is being built. */
export function RolesHome({ me }: { me: Me }) {
  return (
    <main className="content" id="main">
      <h1 className="page-title">{t("nav.welcome")}</h1>
      <p className="muted">{me.full_name}</p>
    </main>
  );
}
