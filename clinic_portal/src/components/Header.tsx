import type { Me } from "../api/client";
import { LanguageSwitch, t } from "../i18n";
import { rolesInWords } from "../lib/format";
import type { Screen, ScreenId } from "../screens";

export function Header({
  me,
  screens,
  current,
  onSignOut,
  signingOut,
}: {
  me: Me;
  screens: readonly Screen[];
  current: ScreenId | null;
  onSignOut: () => void;
  signingOut: boolean;
}) {
  return (
    <header className="topbar">
      <div className="topbar-inner">
        <p className="brand">{t("common.portalName")}</p>
        <div className="who">
          <p className="who-name" data-testid="me-name">
            {me.full_name}
          </p>
          <p className="who-detail">
            <span className="who-roles">{rolesInWords(me.roles)}</span>
            {me.organization && (
              <>
                <span aria-hidden="true"> · </span>
                <span className="who-org">{me.organization.name}</span>
              </>
            )}
          </p>
          <p className="who-detail">
            <span>{t("common.uhid")} </span>
            <span className="uhid" data-testid="me-uhid">
              {me.uhid_display}
            </span>
          </p>
        </div>
        <button
          type="button"
          className="secondary signout"
          data-testid="signout"
          onClick={onSignOut}
          disabled={signingOut}
          aria-busy={signingOut}
        >
          {signingOut ? t("common.signingOut") : t("common.signOut")}
        </button>
      </div>
      <div className="topbar-nav">
        {screens.length > 1 && (
          <nav aria-label={t("common.screens")}>
            <ul className="tabs">
              {screens.map((s) => (
                <li key={s.id}>
                  <a href={`#/${s.id}`} aria-current={s.id === current ? "page" : undefined}>
                    {t(s.title)}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <LanguageSwitch />
      </div>
    </header>
  );
}
