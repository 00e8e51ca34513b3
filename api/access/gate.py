"""The access gate: the one way any code reads or writes a patient's clinical data.

Each use below decides (the patient themself, an on-chain grant, break-glass, the
organisation that made the object, or a treating relationship a workflow registers), writes
the access-log entry, granted or denied, and hands back what the caller may use: the grant
and, for a sealed read, the capsule fragments re-encrypted for the grantee. No other module
writes access-log entries (tests/api/test_access_gate.py checks it).

Entries go in their own SYSTEM transaction (the journal's group commit), never the caller's
session: a refused request rolls its session back but still leaves its trace, and the
caller's may be a tenant session. On SQLite an entry waits on the write lock of a caller
that has flushed writes, so callers use the gate before they flush (or commit first, as
break-glass does).

A caller with no basis to know an object exists (see `Subject`) is refused with the same
404 as for an unknown object; one who does gets 403.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from cachetools import LRUCache
from sqlalchemy import and_, bindparam, exists, or_, select
from sqlalchemy.orm import Session, aliased
from umbral_pre import VerifiedKeyFrag

from api.access.journal import AccessJournal
from api.audit.entries import document_leaf, entry_document
from api.audit.models import AccessLogEntry
from api.consent.models import BreakGlassAccess, Consent, ConsentStatus
from api.db.base import utcnow
from api.errors import Conflict, DomainError, Forbidden, NotFound
from api.identity.models import User
from api.keys.models import UmbralKeys
from api.keys.service import parse_public_keys
from api.roles.catalog import AUTHOR_ROLES, Role
from api.tenants.models import Organization
from reencryption import (
    InvalidKeyMaterial,
    KfragRejected,
    SealedDataRejected,
    reencrypt,
    verify_kfrags,
)
from reencryption.keys import cfrag_to_base64, public_key_from_hex
from reencryption.sealing import KfragVault

# What the access log calls the bases (besides these: "no_kfrags" for a grant that cannot
# serve the read, and the names of treating relationships, such as "encounter", "order").
OWNER, GRANT, BREAK_GLASS, AUTHOR, NONE, NO_KFRAGS = (
    "owner", "grant", "break_glass", "author", "none", "no_kfrags")
# Treating relationships the workflows register (see `TreatingRelationship`): an open (or
# just finished) encounter of the author's organisation; the booking being made of an
# appointment, for the reason given with it (api.scheduling.relationships); an active order,
# for its results by the performing organisation (api.orders.relationships); an active
# prescription, for its dispenses by its pharmacy (api.prescriptions.relationships).
ENCOUNTER, APPOINTMENT, ORDER = "encounter", "appointment", "order"
PRESCRIPTION = "prescription"

# A grantee's keys: those of the grantee organisation, or of the grantee person.
_ORG_KEYS, _USER_KEYS = aliased(UmbralKeys), aliased(UmbralKeys)

# The newest active grant of `patient` covering a scope for `purpose`, to the caller (`user`)
# or their organisation (`org`, None for a patient), with the grantee's keys. A deactivated
# organisation's grants are not used, whoever asks. Built once: the decision runs on every
# read, and building the statement cost more than running it.
_GRANT_QUERY = (
    select(Consent, _ORG_KEYS, _USER_KEYS)
    .outerjoin(_ORG_KEYS, _ORG_KEYS.organization_id == Consent.grantee_org_id)
    .outerjoin(_USER_KEYS, _USER_KEYS.user_id == Consent.grantee_user_id)
    .where(
        Consent.patient_id == bindparam("patient"),
        or_(Consent.grantee_user_id == bindparam("user"),
            Consent.grantee_org_id == bindparam("org")),
        or_(bindparam("org", type_=Consent.grantee_org_id.type).is_(None),
            exists().where(Organization.id == bindparam("org"),
                           Organization.is_active.is_(True))),
        Consent.status == ConsentStatus.active, Consent.expires_at > bindparam("now"),
        Consent.purpose == bindparam("purpose"),
        Consent.scope.in_(bindparam("covering", expanding=True)),
    ).order_by(Consent.created_at.desc()).limit(1)
)


class Accessor(Protocol):
    """Who asks (an authenticated api.deps.Principal)."""

    @property
    def user_id(self) -> uuid.UUID: ...

    @property
    def uhid(self) -> str: ...

    @property
    def organization_id(self) -> uuid.UUID | None: ...

    @property
    def roles(self) -> frozenset[Role]: ...


@dataclass(frozen=True)
class Subject:
    """What an access is about, as the gate needs to know it.

    `record` is how the access log names it (`record:<id>`, `category:lab`, ...; knowing of
    an object matches on these names, so they never change); `scopes` are the grant scopes
    that cover it (besides `category:all`). For an object that exists, `written_at`,
    `made_by` and `made_by_org` say who knows of it: the patient, whoever made it, the
    organisation that made it, and those who ever had a basis to read it (a grant in force
    after it was written, their break-glass covering it, or a granted access to it by them
    or their organisation); anyone else is told `not_found`, as for an unknown id.
    `references` name the workflow objects the access is made under (`order:<id>`,
    `encounter:<id>`), for treating relationships to check."""

    patient: User
    record: str
    scopes: tuple[str, ...]
    written_at: datetime | None = None
    made_by: uuid.UUID | None = None
    made_by_org: uuid.UUID | None = None
    not_found: str = "not found"
    references: tuple[str, ...] = ()


class TreatingRelationship(Protocol):
    """A workflow's basis for clinicians to write for a patient without the patient's grant:
    an open encounter lets its organisation's clinicians write (`encounter`); an order lets
    the performing organisation write that order's results (`order`). Reading earlier
    records always needs the patient's grant (or break-glass)."""

    @property
    def basis(self) -> str:
        """The basis the access log records when this relationship lets a write in."""
        ...

    def lets_write(self, session: Session, *, author: Accessor, subject: Subject) -> bool: ...


@dataclass(frozen=True)
class Decision:
    """Whether a grant (or break-glass, or ownership) covers an access; not yet logged."""

    granted: bool
    basis: str  # owner | grant | break_glass | none
    consent: Consent | None = None
    break_glass: BreakGlassAccess | None = None
    # The grantee's published keys (the kfrags re-encrypt to them), read with the grant.
    grantee_keys: UmbralKeys | None = None

    @property
    def grant_id(self) -> str | None:
        return self.consent.grant_id if self.consent else None


@dataclass(frozen=True)
class SealedRead:
    """A granted read of a sealed object: the basis, the grant (None for the patient) and
    the capsule fragments for the grantee's key (None for the patient)."""

    basis: str
    consent: Consent | None = None
    cfrags: list[str] | None = None


@dataclass(frozen=True)
class Checked:
    decision: Decision
    entry_id: uuid.UUID


@dataclass(frozen=True)
class Search:
    """What a search of a patient's data may return: everything (the patient), what the
    caller's active grants for the purpose cover (`grant`), or nothing of their own
    (`none`). Logged by `AccessGate.log_search` once the caller knows what it found."""

    accessor: Accessor
    patient: User
    purpose: str
    record: str
    basis: str
    scopes: tuple[str, ...] = ()

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(s.removeprefix("category:") for s in self.scopes
                         if s.startswith("category:"))

    @property
    def record_ids(self) -> list[uuid.UUID]:
        """The records granted one by one (scopes that are not a record id are ignored)."""
        ids = []
        for scope in self.scopes:
            if scope.startswith("record:"):
                try:
                    ids.append(uuid.UUID(scope.removeprefix("record:")))
                except ValueError:
                    continue
        return ids

    def covers(self, category: str | None = None) -> bool:
        """Whether every record (of `category`, when given) of the patient is readable."""
        return self.basis == OWNER or "all" in self.categories or (
            category is not None and category in self.categories)


class VerifiedKfrags:
    """Key fragments already verified for a grant, per process (least recently used go).

    Verifying a grant's kfrags costs more than re-encrypting with them, and a grant's sealed
    kfrags never change: only their removal (revocation, expiry), which the decision sees
    first. The key holds everything the verification depended on (the grant, a digest of its
    sealed kfrags, the patient's verifying and delegating keys, the grantee's key), so a
    change to any of them is a miss."""

    def __init__(self, maxsize: int = 4096) -> None:
        self._cache: LRUCache[tuple[str, ...], list[VerifiedKeyFrag]] = LRUCache(maxsize)
        self._lock = threading.Lock()

    def get_or_verify(self, key: tuple[str, ...],
                      verify: Callable[[], list[VerifiedKeyFrag]]) -> list[VerifiedKeyFrag]:
        with self._lock:
            found = self._cache.get(key)
        if found is None:
            found = verify()  # raises when the kfrags do not verify: nothing is kept
            with self._lock:
                self._cache[key] = found
        return found


class AccessGate:
    """One unit of work's gate. `session` is the caller's (grants, keys and the access log
    are read through it); `journal` commits the entries, each in a transaction apart from
    the caller's;
    `refresh_mirror` makes sure the grants mirror is up to the chain (at most once per
    gate; it reads on `session`);
    `kfrag_vault` opens a grant's sealed key fragments; `relationships` are the treating
    relationships the workflows register (api.composition wires scheduling's: encounters and
    bookings), asked in order when no grant lets a write in."""

    def __init__(self, *, session: Session, journal: AccessJournal,
                 refresh_mirror: Callable[[Session], None], kfrag_vault: KfragVault,
                 verified_kfrags: VerifiedKfrags | None = None,
                 relationships: Sequence[TreatingRelationship] = ()) -> None:
        self._session = session
        self._journal = journal
        self._refresh_mirror = refresh_mirror
        self._kfrag_vault = kfrag_vault
        self._kfrags = verified_kfrags or VerifiedKfrags()
        self._relationships = tuple(relationships)
        self._mirror_fresh = False

    # --- reading ----------------------------------------------------------------------

    def read_sealed(self, subject: Subject, *, accessor: Accessor, purpose: str, action: str,
                    capsule: bytes, delegating_key: str, accept: frozenset[str],
                    forbidden: str, unkeyed: str,
                    organisation_keys_only: str | None = None) -> SealedRead:
        """A read of an object encrypted to the patient: the patient reads it as is; a
        grantee whose decision's basis is in `accept` gets capsule fragments for its key.
        Refused: 404/403 (`forbidden`) without such a basis; 409 (`unkeyed`) when the grant
        carries no kfrags that serve this object (none sent, destroyed, for another key),
        or (`organisation_keys_only`, when given) when the grant is to the caller in person
        and so not to the organisation's keys."""
        patient = subject.patient
        if accessor.user_id == patient.id:
            self._log(accessor, subject, action=action, purpose=purpose, granted=True,
                      basis=OWNER)
            return SealedRead(OWNER)
        decision = self.decide(accessor=accessor, patient=patient, scopes=subject.scopes,
                               purpose=purpose)
        if not decision.granted or decision.basis not in accept:
            self._log(accessor, subject, action=action, purpose=purpose, granted=False,
                      basis=decision.basis)
            raise self._refusal(subject, accessor, forbidden)
        consent = decision.consent
        if (consent is not None and organisation_keys_only is not None
                and consent.grantee_org_id != accessor.organization_id):
            # The kfrags of a grant to a person are for that person's key, not the keystore's.
            self._log(accessor, subject, action=action, purpose=purpose, granted=False,
                      basis=NO_KFRAGS, grant_id=consent.grant_id)
            raise Conflict(organisation_keys_only)
        cfrags = self._reencrypt_for_grantee(consent, decision.grantee_keys, capsule=capsule,
                                             delegating_key=delegating_key) \
            if consent is not None else None
        if cfrags is None:
            self._log(accessor, subject, action=action, purpose=purpose, granted=False,
                      basis=NO_KFRAGS, grant_id=decision.grant_id)
            raise Conflict(unkeyed)
        self._log(accessor, subject, action=action, purpose=purpose, granted=True,
                  basis=decision.basis, grant_id=decision.grant_id)
        return SealedRead(decision.basis, consent, cfrags)

    def view(self, subject: Subject, *, accessor: Accessor, action: str, forbidden: str,
             purpose: str = "treatment") -> str:
        """A look at what an object is, not its sealed content (a study's metadata and
        previews): the patient; the clinicians of the organisation that made it (`author`);
        a grantee or break-glass, acting for an organisation. Returns the basis."""
        grant_id = None
        if accessor.user_id == subject.patient.id:
            basis = OWNER
        elif (accessor.organization_id is not None
              and accessor.organization_id == subject.made_by_org
              and accessor.roles & AUTHOR_ROLES):
            basis = AUTHOR  # the making organisation's clinicians: it is their own object
        else:
            decision = self.decide(accessor=accessor, patient=subject.patient,
                                   scopes=subject.scopes, purpose=purpose)
            if not decision.granted or accessor.organization_id is None:
                self._log(accessor, subject, action=action, purpose=purpose, granted=False,
                          basis=decision.basis)
                raise self._refusal(subject, accessor, forbidden)
            basis, grant_id = decision.basis, decision.grant_id
        self._log(accessor, subject, action=action, purpose=purpose, granted=True,
                  basis=basis, grant_id=grant_id)
        return basis

    def use_for_research(self, subject: Subject, *, accessor: Accessor, action: str,
                         forbidden: str) -> Decision:
        """A research use (a de-identified export): only the patient's own research grant,
        never break-glass, never the patient (who has no need of an export of themself)."""
        decision = self.decide(accessor=accessor, patient=subject.patient,
                               scopes=subject.scopes, purpose="research")
        allowed = decision.granted and decision.basis == GRANT
        self._log(accessor, subject, action=action, purpose="research", granted=allowed,
                  basis=decision.basis if allowed else NONE,
                  grant_id=decision.grant_id if allowed else None)
        if not allowed:
            raise self._refusal(subject, accessor, forbidden)
        return decision

    # --- searching --------------------------------------------------------------------

    def open_search(self, *, accessor: Accessor, patient: User, purpose: str,
                    record: str) -> Search:
        """What a search of the patient's data may return (see `Search`); the caller runs
        its query within it, then logs it with `log_search`."""
        if accessor.user_id == patient.id:
            return Search(accessor, patient, purpose, record, OWNER)
        self._ensure_mirror_fresh()
        grantee = [Consent.grantee_user_id == accessor.user_id]
        if accessor.organization_id is not None:
            grantee.append(Consent.grantee_org_id == accessor.organization_id)
        scopes = tuple(self._session.scalars(select(Consent.scope).where(
            Consent.patient_id == patient.id, or_(*grantee), Consent.purpose == purpose,
            Consent.status == ConsentStatus.active, Consent.expires_at > utcnow())))
        return Search(accessor, patient, purpose, record, GRANT if scopes else NONE, scopes)

    def log_search(self, search: Search, *, found_own: bool = False) -> bool:
        """Log the search; returns whether it was granted. Without the patient's grant it
        is granted only when it found objects the caller's organisation made (`author`):
        `found_own`, which the caller knows once its query ran."""
        basis = search.basis
        if basis == NONE and found_own:
            basis = AUTHOR
        self._log(search.accessor, Subject(search.patient, search.record, ()),
                  action="search", purpose=search.purpose, granted=basis != NONE,
                  basis=basis)
        return basis != NONE

    # --- writing ----------------------------------------------------------------------

    def authorise_write(self, *, author: Accessor, patient: User, category: str, record: str,
                        references: tuple[str, ...] = ()) -> str:
        """A write of a `category` record for the patient (logged as `record`): by the
        patient (not logged: it is their own record), by a clinician whose organisation
        holds the patient's treatment grant for the category, or under a treating
        relationship (an open encounter of the author's organisation with the patient,
        `encounter`; see `TreatingRelationship`). Others: 403. Returns the basis."""
        if author.user_id == patient.id:
            return OWNER
        subject = Subject(patient, record, (f"category:{category}",), references=references)
        decision = Decision(False, NONE)
        if author.roles & AUTHOR_ROLES and author.organization_id is not None:
            decision = self.decide(accessor=author, patient=patient, scopes=subject.scopes,
                                   purpose="treatment")
        basis = GRANT if decision.granted and decision.basis == GRANT else NONE
        grant_id = decision.grant_id if basis == GRANT else None
        if basis == NONE:
            basis = next((r.basis for r in self._relationships
                          if r.lets_write(self._session, author=author, subject=subject)), NONE)
        # Writes are logged either way: the patient sees who added to their record.
        self._log(author, subject, action="write", purpose="treatment", granted=basis != NONE,
                  basis=basis, grant_id=grant_id)
        if basis == NONE:
            raise Forbidden("only the patient, a clinician whose organisation holds the "
                            f"patient's treatment grant for {category} records, or a "
                            "clinician of an organisation with an open encounter with the "
                            "patient writes them")
        return basis

    def require_known(self, subject: Subject, *, accessor: Accessor, action: str,
                      purpose: str = "treatment") -> None:
        """Before acting on an existing object (a new version, a report on a study): one
        who has no basis to know it exists is logged as refused and told `not_found`."""
        if not self._knows_of(subject, accessor):
            self._log(accessor, subject, action=action, purpose=purpose, granted=False,
                      basis=NONE)
            raise NotFound(subject.not_found)

    # --- consent: the check endpoint and break-glass ----------------------------------

    def check(self, *, accessor: Accessor, patient: User, scope: str,
              purpose: str) -> Checked:
        """Would a read of `scope` be allowed now? Logged as a `check`; never raises on a
        refusal."""
        decision = self.decide(accessor=accessor, patient=patient, scopes=(scope,),
                               purpose=purpose)
        entry = self._log(accessor, Subject(patient, scope, (scope,)), action="check",
                          purpose=purpose, granted=decision.granted, basis=decision.basis,
                          grant_id=decision.grant_id)
        return Checked(decision, entry.id)

    def log_break_glass(self, access: BreakGlassAccess, *, accessor: Accessor,
                        patient: User) -> None:
        """The emergency access just opened, logged as granted. Call it once the caller has
        committed the access (on SQLite the entry would otherwise wait on its lock)."""
        self._log(accessor, Subject(patient, access.scope, (access.scope,)),
                  action="break-glass", purpose="emergency", granted=True, basis=BREAK_GLASS)

    # --- the decision -----------------------------------------------------------------

    def decide(self, *, accessor: Accessor, patient: User, scopes: Sequence[str],
               purpose: str) -> Decision:
        """May `accessor` use data of `patient` under any of `scopes` for `purpose`? The
        patient may; others by the newest matching active grant (to them or their
        organisation, if it is active), or their break-glass covering a scope (whatever
        the purpose). The answer comes from the grants mirror, first brought up to the
        chain's latest block.

        Unlogged: the uses above log it; it is public for measurements
        (scripts/bench_chain.py), not for contexts."""
        if accessor.user_id == patient.id:
            return Decision(True, OWNER)
        self._ensure_mirror_fresh()
        now = utcnow()
        covering = [*scopes, "category:all"]
        row = self._session.execute(_GRANT_QUERY, {
            "patient": patient.id, "user": accessor.user_id, "org": accessor.organization_id,
            "now": now, "purpose": purpose, "covering": covering}).one_or_none()
        if row is not None:
            consent, by_org, by_user = row
            keys = by_org if consent.grantee_org_id is not None else by_user
            return Decision(True, GRANT, consent=consent, grantee_keys=keys)
        if accessor.organization_id is not None:
            # A deactivated organisation's break-glass is not used either.
            active = exists().where(Organization.id == accessor.organization_id,
                                    Organization.is_active.is_(True))
            glass = self._session.scalar(select(BreakGlassAccess).where(
                BreakGlassAccess.patient_id == patient.id, active,
                BreakGlassAccess.accessor_id == accessor.user_id,
                BreakGlassAccess.expires_at > now,
                BreakGlassAccess.scope.in_(covering),
            ))
            if glass is not None:
                return Decision(True, BREAK_GLASS, break_glass=glass)
        return Decision(False, NONE)

    def _ensure_mirror_fresh(self) -> None:
        # A refresh that fails is a 503 and no entry: nothing was decided.
        if not self._mirror_fresh:
            self._refresh_mirror(self._session)
            self._mirror_fresh = True

    # --- refusals: 404 or 403 ---------------------------------------------------------

    def _refusal(self, subject: Subject, accessor: Accessor, forbidden: str) -> DomainError:
        if self._knows_of(subject, accessor):
            return Forbidden(forbidden)
        return NotFound(subject.not_found)

    def _knows_of(self, subject: Subject, accessor: Accessor) -> bool:
        """Whether `accessor` was ever shown that the object exists (see `Subject`)."""
        patient = subject.patient
        if accessor.user_id in (patient.id, subject.made_by) or (
                accessor.organization_id is not None
                and accessor.organization_id == subject.made_by_org):
            return True
        if subject.written_at is None:
            return False
        session, written_at = self._session, subject.written_at
        covering = [*subject.scopes, "category:all"]
        grantee = [Consent.grantee_user_id == accessor.user_id]
        if accessor.organization_id is not None:
            grantee.append(Consent.grantee_org_id == accessor.organization_id)
        granted = session.scalar(select(exists().where(
            Consent.patient_id == patient.id, or_(*grantee), Consent.scope.in_(covering),
            Consent.status.in_([ConsentStatus.active, ConsentStatus.revoked,
                                ConsentStatus.expired]),
            or_(and_(Consent.revoked_at.is_(None), Consent.expires_at > written_at),
                Consent.revoked_at > written_at))))
        if granted or session.scalar(select(exists().where(
                BreakGlassAccess.patient_id == patient.id,
                BreakGlassAccess.accessor_id == accessor.user_id,
                BreakGlassAccess.scope.in_(covering),
                BreakGlassAccess.expires_at > written_at))):
            return True
        accessors = [AccessLogEntry.accessor_id == accessor.user_id]
        if accessor.organization_id is not None:
            accessors.append(AccessLogEntry.accessor_org_id == accessor.organization_id)
        return bool(session.scalar(select(exists().where(
            AccessLogEntry.patient_uhid == patient.uhid, or_(*accessors),
            AccessLogEntry.record.in_([s for s in subject.scopes if s.startswith("record:")]),
            AccessLogEntry.outcome == "granted"))))

    # --- re-encryption for the grantee ------------------------------------------------

    def _reencrypt_for_grantee(self, consent: Consent, grantee: UmbralKeys | None, *,
                               capsule: bytes, delegating_key: str) -> list[str] | None:
        """Capsule fragments for the grantee (whose published keys are `grantee`), or None
        when the grant's kfrags cannot serve this object (none sent, destroyed, or issued
        for another patient key or grantee key)."""
        sealed, verifying_key = consent.kfrags_sealed, consent.verifying_key
        if sealed is None or verifying_key is None or grantee is None:
            return None
        receiving = grantee.umbral_public_key

        def verify() -> list[VerifiedKeyFrag]:
            opened = self._kfrag_vault.open(sealed, consent.grant_id)
            raw = [base64.b64decode(k) for k in json.loads(opened)]
            return verify_kfrags(
                raw, verifying_key=public_key_from_hex(verifying_key),
                delegating_key=public_key_from_hex(delegating_key),
                receiving_key=parse_public_keys(receiving, grantee.verifying_key).encrypting)

        try:
            verified = self._kfrags.get_or_verify(
                (consent.grant_id, hashlib.sha256(sealed).hexdigest(), verifying_key,
                 delegating_key, receiving), verify)
        except (KfragRejected, InvalidKeyMaterial, SealedDataRejected, ValueError):
            return None
        return [cfrag_to_base64(c) for c in reencrypt(capsule, verified)]

    # --- the access log ---------------------------------------------------------------

    def _log(self, accessor: Accessor, subject: Subject, *, action: str, purpose: str,
             granted: bool, basis: str, grant_id: str | None = None) -> AccessLogEntry:
        """Write one entry in its own transaction: a refused request still leaves its
        trace."""
        patient = subject.patient
        entry = AccessLogEntry(
            id=uuid.uuid4(), at=utcnow(), accessor_id=accessor.user_id,
            accessor_uhid=accessor.uhid, accessor_org_id=accessor.organization_id,
            patient_id=patient.id, patient_uhid=patient.uhid, record=subject.record,
            action=action, purpose=purpose, outcome="granted" if granted else "denied",
            basis=basis, grant_id=grant_id, leaf="",
        )
        entry.leaf = document_leaf(entry_document(entry))
        self._journal.write(entry)
        return entry

