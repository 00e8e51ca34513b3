import type { Me } from "../api/client";
import { rolesInWords } from "../lib/format";

export function Header({ me, onSignOut, signingOut }: { me: Me; onSignOut: () => void; signingOut: boolean }) {
  return (
    <header className="topbar">
      <div className="topbar-inner">
        <p className="brand">OHMS clinic portal</p>
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
            <span>UHID </span>
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
          Sign out
        </button>
      </div>
    </header>
  );
}
