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
import { t, useI18n } from "../i18n";
import { outcome } from "../lib/outcome";
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
  { id: "wallet", title: "patient.section.wallet" },
  { id: "records", title: "patient.section.records" },
  { id: "grant", title: "patient.section.grant" },
  { id: "consents", title: "patient.section.consents" },
  { id: "access-log", title: "patient.section.access" },
  { id: "notifications", title: "patient.section.notifications" },
] as const;

/** The records period of a consent in words, or null when it covers records of any date. */
function periodInWords(c: ConsentOut): string | null {
  const from = c.data_from ? formatDate(c.data_from) : null;
  const to = c.data_to ? formatDate(c.data_to) : null;
  if (from && to) return t("patient.periodFromTo", { from, to });
  if (from) return t("patient.periodFrom", { from });
  if (to) return t("patient.periodTo", { to });
  return null;
}

export function PatientHome({ me }: { me: Me }) {
  // Re-render in the new language when the person switches it.
  useI18n();
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
      <nav className="section-nav" aria-label={t("patient.sections")}>
        <ul>
          {SECTIONS.map((s) => (
            <li key={s.id}>
              <a href={`#${s.id}-heading`}>{t(s.title)}</a>
            </li>
          ))}
        </ul>
      </nav>
      <main className="content" id="main">
        <h1 className="page-title">{t("patient.title")}</h1>
        <div className="grid patient-grid">
          <WalletPanel ownerId={me.id} wallet={wallet} onWallet={setWallet} records={opener} />

          <section className="card area-records" data-testid="records" aria-labelledby="records-heading">
            <h2 id="records-heading">{t("patient.records")}</h2>
            <RecordTimeline
              page={records}
              viewerUhid={me.uhid}
              orgName={orgName}
              lockedNote={t("patient.lockedNote")}
              opened={opener.opened}
            />
          </section>

          <SharePanel
            wallet={wallet}
            directory={directoryEntries}
            currentKeys={opener.currentKeys}
            records={records.items}
            onShared={() => consentChanged(1)}
          />

          <section className="card area-consents" data-testid="consents" aria-labelledby="consents-heading">
            <div className="section-head">
              <h2 id="consents-heading">{t("patient.consents")}</h2>
              <button
                type="button"
                className="secondary"
                aria-label={t("patient.refreshConsents")}
                onClick={() => reloadConsents(0)}
              >
                {t("patient.refresh")}
              </button>
            </div>
            <PagedList
              page={consents}
              what={t("patient.consentsWhat")}
              empty={t("patient.noConsents")}
              render={(c) => {
                const badge = consentStatusBadge(c.status);
                const ended = c.status === "expired" || c.status === "revoked";
                const period = periodInWords(c);
                return (
                  <li key={c.id} className="item">
                    <div className="item-head">
                      <span className="item-title">{c.grantee.name}</span>
                      <Badge tone={badge.tone}>{c.status === "pending" ? t("share.pending") : badge.label}</Badge>
                    </div>
                    <p className="item-meta">{c.grantee.kind === "organization" ? t("patient.anOrganisation") : t("patient.aPerson")}</p>
                    <dl className="facts">
                      <Fact term={t("patient.accessTo")}>{scopeInWords(c.scope)}</Fact>
                      <Fact term={t("patient.purpose")}>{purposeInWords(c.purpose)}</Fact>
                      {period && <Fact term={t("patient.recordsDated")}>{period}</Fact>}
                      {c.revoked_at ? (
                        <Fact term={t("patient.revokedOn")}>
                          <time dateTime={c.revoked_at}>{formatDate(c.revoked_at)}</time>
                        </Fact>
                      ) : (
                        <Fact term={ended ? t("patient.expired") : t("patient.expires")}>
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
            <h2 id="access-log-heading">{t("patient.access")}</h2>
            <PagedList
              page={accesses}
              what={t("patient.accessesWhat")}
              empty={t("patient.noAccesses")}
              render={(e) => {
                const org = e.accessor_org ? orgName(e.accessor_org) : undefined;
                const who =
                  e.accessor === me.uhid ? t("patient.you") : t("patient.byUhid", { uhid: formatUhid(e.accessor) });
                const whoAt = org
                  ? t("patient.atOrg", { who, org })
                  : e.accessor_org
                    ? t("patient.atAnOrg", { who })
                    : who;
                const granted = e.outcome === "granted";
                return (
                  <li key={e.id} className="item">
                    <div className="item-head">
                      <span className="item-title">{accessWhat(e.action, e.record, describe)}</span>
                      <Badge tone={granted ? "granted" : "denied"}>{outcomeInWords(e.outcome)}</Badge>
                    </div>
                    <dl className="facts">
                      <Fact term={t("patient.who")}>{whoAt}</Fact>
                      <Fact term={t("patient.when")}>
                        <time dateTime={e.at}>{formatDateTime(e.at)}</time>
                      </Fact>
                      <Fact term={t("patient.why")}>{purposeInWords(e.purpose)}</Fact>
                      <Fact term={t("patient.basis")}>{basisInWords(e.basis)}</Fact>
                    </dl>
                    <VerifyEntry entryId={e.id} label={t("patient.theAccessOn", { when: formatDateTime(e.at) })} />
                  </li>
                );
              }}
            />
          </section>
          <section className="card area-notifications" data-testid="notifications" aria-labelledby="notifications-heading">
            <h2 id="notifications-heading">{t("patient.notifications")}</h2>
            <PagedList
              page={notifications}
              what={t("patient.notificationsWhat")}
              empty={t("patient.noNotifications")}
              render={(n) => (
                <li key={n.id} className={n.read_at ? "item" : "item unread"}>
                  <div className="item-head">
                    <span className="item-title">{notificationKindInWords(n.kind)}</span>
                    {!n.read_at && <Badge tone="new">{t("patient.new")}</Badge>}
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
