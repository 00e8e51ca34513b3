import type { Me } from "../api/client";
import { t } from "../i18n";

export function BillsHome({ me }: { me: Me }) {
  return (
    <section aria-labelledby="page-title" data-me={me.id}>
      <h1 id="page-title" className="page-title">
        {t("billing.nav.bills")}
      </h1>
    </section>
  );
}
