import { useCallback, useEffect, useMemo, useState } from "react";
import {
  api,
  type AuditEntryOut,
  type ConsentOut,
  type Me,
  type NotificationOut,
  type RecordMetadata,
} from "../api/client";
import {
  accessWhat,
  basisInWords,
  consentStatusBadge,
  formatDate,
  formatDateTime,
  formatUhid,
  notificationKindInWords,
  outcomeInWords,
  purposeInWords,
  scopeInWords,
} from "../lib/format";
import { outcome } from "../lib/outcome";
import { PENDING_WORDS } from "../lib/sharing";
import { namesOf, useDirectoryEntries } from "../lib/useDirectory";
import { useOpenRecords } from "../lib/useOpenRecords";
import { lockWallet, type UnlockedWallet } from "../lib/wallet";
import { usePaged } from "../lib/usePaged";
import { Badge, Fact, PagedList } from "./common";
import { describeRecord, RecordTimeline } from "./RecordTimeline";
import { RevokeControl, SharePanel } from "./SharePanel";
import { VerifyEntry } from "./VerifyEntry";
import { WalletPanel } from "./WalletPanel";

const SECTIONS = [
  { id: "wallet", title: "Wallet" },
  { id: "records", title: "Records" },
  { id: "grant", title: "Share my records" },
  { id: "consents", title: "Consents" },
  { id: "access-log", title: "Who accessed my records" },
  { id: "notifications", title: "Notifications" },
] as const;

export function PatientHome({ me }: { me: Me }) {
  const uhid = me.uhid;
  const records = usePaged<RecordMetadata>(
    uhid,
    useCallback(
      (offset, limit) =>
        outcome(api.GET("/api/v1/patients/{uhid}/records", { params: { path: { uhid }, query: { limit, offset } } })),
      [uhid],
    ),
  );
  const consents = usePaged<ConsentOut>("consents", (offset, limit) =>
    outcome(api.GET("/api/v1/consents", { params: { query: { limit, offset } } })),
  );
  const accesses = usePaged<AuditEntryOut>("audit", (offset, limit) =>
    outcome(api.GET("/api/v1/audit/entries", { params: { query: { limit, offset } } })),
  );
  const notifications = usePaged<NotificationOut>("notifications", (offset, limit) =>
    outcome(api.GET("/api/v1/me/notifications", { params: { query: { limit, offset } } })),
  );
  const directoryEntries = useDirectoryEntries();
  const [wallet, setWallet] = useState<UnlockedWallet | null>(null);
  const recordIds = useMemo(() => records.items.map((r) => r.id), [records.items]);
  const opener = useOpenRecords(recordIds);
  // Leaving the patient screen (signing out) forgets the wallet's key.
  useEffect(() => lockWallet, []);

  // After a grant or revocation, look again every few seconds while one is being recorded.
  const [polls, setPolls] = useState(0);
  const reloadConsents = consents.reload;
  const anyPending = consents.items.some((c) => c.status === "pending");
  useEffect(() => {
    if (polls <= 0 || !anyPending) return;
    const timer = setTimeout(() => {
      setPolls((n) => n - 1);
      reloadConsents(0);
    }, 2500);
    return () => clearTimeout(timer);
  }, [polls, anyPending, reloadConsents, consents.items]);
  const consentChanged = useCallback(
    (added: number) => {
      reloadConsents(added);
      setPolls(12);
    },
    [reloadConsents],
  );

  // Organisation names: the directory, the grantees of consents, and one's own organisation.
  const orgNames = useMemo(() => {
    const names = namesOf(directoryEntries.entries);
    for (const c of consents.items) if (c.grantee.kind === "organization") names.set(c.grantee.id, c.grantee.name);
    if (me.organization) names.set(me.organization.id, me.organization.name);
    return names;
  }, [directoryEntries.entries, consents.items, me.organization]);
  const orgName = useCallback((id: string) => orgNames.get(id), [orgNames]);

  const recordsById = useMemo(() => new Map(records.items.map((r) => [r.id, r])), [records.items]);
  const describe = useCallback(
    (id: string) => {
      const r = recordsById.get(id);
      return r ? describeRecord(r) : undefined;
    },
    [recordsById],
  );

  return (
    <>
      <nav className="section-nav" aria-label="Sections">
        <ul>
          {SECTIONS.map((s) => (
            <li key={s.id}>
              <a href={`#${s.id}-heading`}>{s.title}</a>
            </li>
          ))}
        </ul>
      </nav>
      <main className="content" id="main">
        <h1 className="page-title">My health records</h1>
        <div className="grid patient-grid">
          <WalletPanel ownerId={me.id} wallet={wallet} onWallet={setWallet} records={opener} />

          <section className="card area-records" data-testid="records" aria-labelledby="records-heading">
            <h2 id="records-heading">Records</h2>
            <RecordTimeline
              page={records}
              viewerUhid={me.uhid}
              orgName={orgName}
              lockedNote="Encrypted; open with your wallet"
              opened={opener.opened}
            />
          </section>

          <SharePanel
            wallet={wallet}
            directory={directoryEntries}
            currentKeys={opener.currentKeys}
            onShared={() => consentChanged(1)}
          />

          <section className="card area-consents" data-testid="consents" aria-labelledby="consents-heading">
            <div className="section-head">
              <h2 id="consents-heading">Consents</h2>
              <button type="button" className="secondary" onClick={() => reloadConsents(0)}>
                Refresh
              </button>
            </div>
            <PagedList
              page={consents}
              what="consents"
              empty="You have not given anyone access yet."
              render={(c) => {
                const badge = consentStatusBadge(c.status);
                const ended = c.status === "expired" || c.status === "revoked";
                return (
                  <li key={c.id} className="item">
                    <div className="item-head">
                      <span className="item-title">{c.grantee.name}</span>
                      <Badge tone={badge.tone}>{c.status === "pending" ? PENDING_WORDS : badge.label}</Badge>
                    </div>
                    <p className="item-meta">{c.grantee.kind === "organization" ? "An organisation" : "A person"}</p>
                    <dl className="facts">
                      <Fact term="Access to">{scopeInWords(c.scope)}</Fact>
                      <Fact term="Purpose">{purposeInWords(c.purpose)}</Fact>
                      {c.revoked_at ? (
                        <Fact term="Revoked">
                          <time dateTime={c.revoked_at}>{formatDate(c.revoked_at)}</time>
                        </Fact>
                      ) : (
                        <Fact term={ended ? "Expired" : "Expires"}>
                          <time dateTime={c.expires_at}>{formatDate(c.expires_at)}</time>
                        </Fact>
                      )}
                    </dl>
                    {c.status_detail && <p className="muted">{c.status_detail}</p>}
                    <RevokeControl consent={c} wallet={wallet} onRevoked={() => consentChanged(0)} />
                  </li>
                );
              }}
            />
          </section>

          <section className="card area-access" data-testid="access-log" aria-labelledby="access-log-heading">
            <h2 id="access-log-heading">Who accessed my records</h2>
            <PagedList
              page={accesses}
              what="accesses"
              empty="Nobody has accessed your records yet."
              render={(e) => {
                const org = e.accessor_org ? orgName(e.accessor_org) : undefined;
                const who = e.accessor === me.uhid ? "You" : `UHID ${formatUhid(e.accessor)}`;
                const granted = e.outcome === "granted";
                return (
                  <li key={e.id} className="item">
                    <div className="item-head">
                      <span className="item-title">{accessWhat(e.action, e.record, describe)}</span>
                      <Badge tone={granted ? "granted" : "denied"}>{outcomeInWords(e.outcome)}</Badge>
                    </div>
                    <dl className="facts">
                      <Fact term="Who">
                        {who}
                        {org ? ` at ${org}` : e.accessor_org ? " at an organisation" : ""}
                      </Fact>
                      <Fact term="When">
                        <time dateTime={e.at}>{formatDateTime(e.at)}</time>
                      </Fact>
                      <Fact term="Why">{purposeInWords(e.purpose)}</Fact>
                      <Fact term="Basis">{basisInWords(e.basis)}</Fact>
                    </dl>
                    <VerifyEntry entryId={e.id} label={`the access on ${formatDateTime(e.at)}`} />
                  </li>
                );
              }}
            />
          </section>
          <section className="card area-notifications" data-testid="notifications" aria-labelledby="notifications-heading">
            <h2 id="notifications-heading">Notifications</h2>
            <PagedList
              page={notifications}
              what="notifications"
              empty="No notifications."
              render={(n) => (
                <li key={n.id} className={n.read_at ? "item" : "item unread"}>
                  <div className="item-head">
                    <span className="item-title">{notificationKindInWords(n.kind)}</span>
                    {!n.read_at && <Badge tone="new">New</Badge>}
                  </div>
                  <p className="item-body">{n.message}</p>
                  <p className="item-meta">
                    <time dateTime={n.created_at}>{formatDateTime(n.created_at)}</time>
                  </p>
                </li>
              )}
            />
          </section>

        </div>
      </main>
    </>
  );
}
