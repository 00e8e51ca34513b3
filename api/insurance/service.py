"""Insurance use cases: a patient's coverages and their eligibility, claims built from issued
invoices and addressed to the insurer, and the insurer's adjudication, which settles the
insurer's share against the invoice in the same transaction.

Coverages are a system-only table and claims are read by their patient (of no organisation),
so these use cases run in the system session: every query here is confined to what the
caller may see (the patient; the billing organisation; the insurer), and anything else is
told 404. Exactly once is the database's: one claim in play per invoice (a partial UNIQUE
index), one adjudication per claim (a conditional UPDATE on its status), one settlement per
claim (UNIQUE payments.claim_id), and a balance that never goes below zero (the invoice's
conditional UPDATE and CHECKs)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, SQLColumnExpression, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.billing import settlement
from api.billing.models import PAYABLE, Charge, Invoice, InvoiceKind
from api.billing.money import round_money
from api.db.base import utcnow
from api.deps import Principal
from api.errors import Conflict, Invalid, NotFound
from api.identity.models import User
from api.identity.service import get_by_uhid
from api.insurance.models import Claim, ClaimItem, ClaimStatus, Coverage
from api.notifications.models import NotificationKind
from api.notifications.service import notify_event
from api.paging import PageRequest
from api.payments.models import Payment, PaymentMethod
from api.records.models import Record
from api.roles.catalog import Role
from api.tenants.models import Organization, OrganizationKind

COVERAGE_NOT_FOUND = "no such coverage"
CLAIM_NOT_FOUND = "no such claim"
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Price:
    amount: Decimal
    currency: str


def _is_patient(principal: Principal) -> bool:
    return principal.organization_id is None and Role.patient in principal.roles


def _patient(session: Session, uhid: str) -> User:
    user = get_by_uhid(session, uhid)
    if Role.patient.value not in user.role_names or not user.is_active:
        raise NotFound("no patient has this UHID")
    return user


# --- coverages ------------------------------------------------------------------------------


def _insurer(session: Session, insurer_id: uuid.UUID) -> Organization:
    org = session.get(Organization, insurer_id)
    if org is None or not org.is_active or org.kind != OrganizationKind.insurer:
        raise Invalid("insurer: not an active organisation of kind insurer")
    return org


def _bills(organization_id: uuid.UUID,
           patient_id: uuid.UUID | SQLColumnExpression[uuid.UUID]) -> ColumnElement[bool]:
    """The organisation has invoiced the patient (or is gathering charges for them)."""
    return exists().where(Invoice.organization_id == organization_id,
                          Invoice.patient_id == patient_id)


def _recorded_by_member_of(organization_id: uuid.UUID) -> ColumnElement[bool]:
    return exists().where(User.id == Coverage.created_by,
                          User.organization_id == organization_id)


def _coverage_visibility(principal: Principal) -> ColumnElement[bool]:
    """The coverages the caller may read: a patient's own; an insurer's members'; those of
    patients the caller's organisation bills, or that one of its members recorded."""
    if principal.organization_id is None:
        return Coverage.patient_id == principal.user_id
    org = principal.organization_id
    return or_(Coverage.insurer_id == org, _bills(org, Coverage.patient_id),
               _recorded_by_member_of(org))


def visible_coverage(session: Session, *, principal: Principal,
                     coverage_id: uuid.UUID) -> Coverage:
    coverage = session.scalar(select(Coverage).where(Coverage.id == coverage_id,
                                                     _coverage_visibility(principal)))
    if coverage is None:
        raise NotFound(COVERAGE_NOT_FOUND)
    return coverage


def record_coverage(session: Session, *, principal: Principal, patient_uhid: str,
                    insurer_id: uuid.UUID, member_id: str, plan: str, valid_from: date,
                    valid_to: date, copay: Price, coinsurance: Decimal) -> Coverage:
    """A patient's coverage, recorded by the patient or by a desk (any patient by UHID)."""
    patient = _patient(session, patient_uhid)
    if principal.organization_id is None and patient.id != principal.user_id:
        raise NotFound("no patient has this UHID")
    if valid_to < valid_from:
        raise Invalid("valid_to: before valid_from")
    _insurer(session, insurer_id)
    coverage = Coverage(
        id=uuid.uuid4(), patient_id=patient.id, insurer_id=insurer_id, member_id=member_id,
        plan=plan, valid_from=valid_from, valid_to=valid_to, copay_amount=copay.amount,
        copay_currency=copay.currency, coinsurance=coinsurance, active=True,
        created_by=principal.user_id)
    session.add(coverage)
    session.flush()
    return coverage


def list_coverages(session: Session, *, principal: Principal, patient_uhid: str,
                   page: PageRequest) -> list[Coverage]:
    """A patient's coverages the caller may see; 404 when it may see none of them (so a
    stranger cannot tell a patient without coverage from one it may not look at)."""
    patient = _patient(session, patient_uhid)
    if principal.organization_id is None:
        if patient.id != principal.user_id:
            raise NotFound("no patient has this UHID")
    elif not session.scalar(select(_bills(principal.organization_id, patient.id))) and \
            not session.scalar(select(exists().where(
                Coverage.patient_id == patient.id, _coverage_visibility(principal)))):
        raise NotFound("no patient has this UHID")
    return list(session.scalars(
        select(Coverage).where(Coverage.patient_id == patient.id,
                               _coverage_visibility(principal))
        .order_by(Coverage.valid_from.desc(), Coverage.created_at.desc(), Coverage.id)
        .limit(page.limit).offset(page.offset)))


def uhids(session: Session, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.uhid).where(User.id.in_(set(user_ids))))
    return {row.id: row.uhid for row in rows}


def organizations(session: Session, org_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID,
                                                                          Organization]:
    if not org_ids:
        return {}
    return {o.id: o for o in session.scalars(select(Organization)
                                             .where(Organization.id.in_(set(org_ids))))}


# --- eligibility ----------------------------------------------------------------------------


def ineligibility(session: Session, coverage: Coverage, *, first: date,
                  last: date) -> list[str]:
    """Why `coverage` does not cover services given from `first` to `last` (empty: it does)."""
    reasons = []
    if not coverage.active:
        reasons.append("the coverage is cancelled")
    insurer = session.get(Organization, coverage.insurer_id)
    if insurer is None or not insurer.is_active:
        reasons.append("the insurer is inactive")
    if first < coverage.valid_from or last > coverage.valid_to:
        reasons.append(f"outside the coverage's validity ({coverage.valid_from.isoformat()} "
                       f"to {coverage.valid_to.isoformat()})")
    return reasons


@dataclass(frozen=True)
class Eligibility:
    coverage: Coverage
    on: date
    reasons: list[str]
    insurer: Organization
    patient_uhid: str

    @property
    def eligible(self) -> bool:
        return not self.reasons


def check_eligibility(session: Session, *, principal: Principal, coverage_id: uuid.UUID,
                      on: date | None) -> Eligibility:
    coverage = visible_coverage(session, principal=principal, coverage_id=coverage_id)
    day = on or utcnow().date()
    insurer = session.get(Organization, coverage.insurer_id)
    assert insurer is not None  # a foreign key
    return Eligibility(coverage=coverage, on=day,
                       reasons=ineligibility(session, coverage, first=day, last=day),
                       insurer=insurer,
                       patient_uhid=uhids(session, [coverage.patient_id])[coverage.patient_id])


# --- claims ---------------------------------------------------------------------------------


def _claim_visibility(principal: Principal) -> ColumnElement[bool]:
    """A patient's own claims; the billing organisation's; those addressed to the insurer."""
    if principal.organization_id is None:
        return Claim.patient_id == principal.user_id
    return or_(Claim.organization_id == principal.organization_id,
               Claim.insurer_id == principal.organization_id)


def visible_claim(session: Session, *, principal: Principal, claim_id: uuid.UUID) -> Claim:
    claim = session.scalar(select(Claim).where(Claim.id == claim_id,
                                               _claim_visibility(principal)))
    if claim is None:
        raise NotFound(CLAIM_NOT_FOUND)
    return claim


def claim_items(session: Session, claim_ids: Sequence[uuid.UUID]
                ) -> dict[uuid.UUID, list[ClaimItem]]:
    found: dict[uuid.UUID, list[ClaimItem]] = {c: [] for c in claim_ids}
    if claim_ids:
        for item in session.scalars(select(ClaimItem).where(ClaimItem.claim_id.in_(claim_ids))
                                    .order_by(ClaimItem.claim_id, ClaimItem.sequence)):
            found[item.claim_id].append(item)
    return found


def list_claims(session: Session, *, principal: Principal, status: ClaimStatus | None,
                page: PageRequest) -> list[Claim]:
    query = select(Claim).where(_claim_visibility(principal))
    if status is not None:
        query = query.where(Claim.status == status.value)
    return list(session.scalars(query.order_by(Claim.submitted_at.desc(), Claim.id)
                                .limit(page.limit).offset(page.offset)))


def submit_claim(session: Session, *, principal: Principal, invoice_id: uuid.UUID,
                 coverage_id: uuid.UUID) -> Claim:
    """A claim for the caller's organisation's issued invoice, under the patient's coverage:
    its items copy the invoice's lines. One claim in play per invoice."""
    invoice = session.get(Invoice, invoice_id)
    if invoice is None or invoice.organization_id != principal.organization_id or \
            invoice.kind != InvoiceKind.invoice.value:
        raise NotFound("no such invoice")
    if invoice.status not in {s.value for s in PAYABLE}:
        raise Conflict(f"the invoice is {invoice.status}: only an issued or partly paid "
                       "invoice is claimed")
    coverage = session.get(Coverage, coverage_id)
    if coverage is None or coverage.patient_id != invoice.patient_id:
        raise Invalid("coverage: no coverage of the invoice's patient has this id")
    if coverage.copay_currency != invoice.currency:
        raise Conflict(f"the coverage is in {coverage.copay_currency}, the invoice in "
                       f"{invoice.currency}")
    charges = list(session.scalars(select(Charge).where(Charge.invoice_id == invoice.id)
                                   .order_by(Charge.created_at, Charge.id)))
    if not charges:
        raise Conflict("the invoice has no lines to claim")
    reasons = ineligibility(session, coverage, first=min(c.service_date for c in charges),
                            last=max(c.service_date for c in charges))
    if reasons:
        raise Conflict(f"the coverage does not cover this invoice: {'; '.join(reasons)}")
    claim = Claim(
        id=uuid.uuid4(), organization_id=invoice.organization_id,
        insurer_id=coverage.insurer_id, invoice_id=invoice.id, coverage_id=coverage.id,
        patient_id=invoice.patient_id, status=ClaimStatus.submitted.value,
        total=invoice.total, currency=invoice.currency, submitted_by=principal.user_id,
        submitted_at=utcnow())
    try:
        with session.begin_nested():
            session.add(claim)
            session.flush()
    except IntegrityError:
        raise Conflict("the invoice already has a claim in play (submitted or adjudicated); "
                       "a new claim is possible only after a denial") from None
    session.add_all(ClaimItem(
        id=uuid.uuid4(), claim_id=claim.id, organization_id=claim.organization_id,
        insurer_id=claim.insurer_id, sequence=n, charge_id=charge.id,
        code_system=charge.code_system, code=charge.code, description=charge.description,
        amount=charge.total, record_id=charge.record_id)
        for n, charge in enumerate(charges, start=1))
    session.flush()
    return claim


# --- adjudication ---------------------------------------------------------------------------


def coverage_pays(total: Decimal, coverage: Coverage) -> Decimal:
    """What the coverage pays of `total`: (total - copay) x (1 - coinsurance), rounded once,
    half up, never below zero."""
    share = (Decimal(total) - Decimal(coverage.copay_amount)) * \
        (1 - Decimal(coverage.coinsurance))
    return max(ZERO, round_money(share))


def _approved_amount(claim: Claim, coverage: Coverage, *, outcome: ClaimStatus,
                     amount: Price | None, reason: str | None) -> Decimal:
    total = Decimal(claim.total)
    if amount is not None and amount.currency != claim.currency:
        raise Invalid(f"approved_amount: the claim is in {claim.currency}")
    if outcome is ClaimStatus.denied:
        if not reason:
            raise Invalid("reason: a denial states its reason")
        if amount is not None and amount.amount != 0:
            raise Invalid("approved_amount: a denial approves nothing")
        return ZERO
    if outcome is ClaimStatus.partial:
        if amount is None:
            raise Invalid("approved_amount: a partial approval states the amount approved")
        if not ZERO < amount.amount < total:
            raise Invalid(f"approved_amount: a partial approval is above 0 and below the "
                          f"claim's total ({total:.2f})")
        return round_money(amount.amount)
    if amount is None:
        return coverage_pays(total, coverage)
    if amount.amount > total:
        raise Invalid(f"approved_amount: above the claim's total ({total:.2f})")
    return round_money(amount.amount)


def _item_amounts(items: list[ClaimItem], outcome: ClaimStatus, approved: Decimal,
                  given: Sequence[tuple[int, Price]] | None) -> dict[int, Decimal]:
    """Each item's approved amount, by sequence (empty when the insurer gave none)."""
    if outcome is ClaimStatus.denied:
        if given:
            raise Invalid("items: a denial approves no item")
        return {item.sequence: ZERO for item in items}
    if not given:
        return {}
    by_sequence = {item.sequence: item for item in items}
    amounts: dict[int, Decimal] = {}
    for sequence, price in given:
        item = by_sequence.get(sequence)
        if item is None:
            raise Invalid(f"items: the claim has no item {sequence}")
        if sequence in amounts:
            raise Invalid(f"items: item {sequence} is given twice")
        if price.amount > Decimal(item.amount):
            raise Invalid(f"items: item {sequence}'s approved amount is above its amount")
        amounts[sequence] = round_money(price.amount)
    if sum(amounts.values(), ZERO) != approved:
        raise Invalid(f"items: the items' approved amounts sum to "
                      f"{sum(amounts.values(), ZERO):.2f}, not {approved:.2f}")
    return amounts


def adjudicate(session: Session, *, principal: Principal, claim_id: uuid.UUID,
               outcome: ClaimStatus, amount: Price | None, reason: str | None,
               items: Sequence[tuple[int, Price]] | None) -> Claim:
    """The insurer's decision, once; its share is settled against the invoice in the same
    transaction (an insurer payment of the claim), so the invoice's balance is then what the
    patient still owes."""
    claim = session.scalar(select(Claim).where(
        Claim.id == claim_id, Claim.insurer_id == principal.organization_id))
    if claim is None or principal.organization_id is None:
        raise NotFound(CLAIM_NOT_FOUND)
    if claim.status != ClaimStatus.submitted.value:
        raise Conflict(f"the claim was already adjudicated ({claim.status})")
    coverage = session.get(Coverage, claim.coverage_id)
    assert coverage is not None  # a foreign key
    approved = _approved_amount(claim, coverage, outcome=outcome, amount=amount, reason=reason)
    claim_lines = claim_items(session, [claim.id])[claim.id]
    if items and any(price.currency != claim.currency for _, price in items):
        raise Invalid(f"items: amounts are in the claim's currency ({claim.currency})")
    per_item = _item_amounts(claim_lines, outcome, approved, items)
    decided = session.execute(
        update(Claim).where(Claim.id == claim.id,
                            Claim.status == ClaimStatus.submitted.value)
        .values(status=outcome.value, approved_amount=approved, reason=reason,
                adjudicated_by=principal.user_id, adjudicated_at=utcnow())
        .returning(Claim.id).execution_options(synchronize_session=False)).scalar_one_or_none()
    if decided is None:
        raise Conflict("the claim was already adjudicated")
    for sequence, value in per_item.items():
        session.execute(update(ClaimItem)
                        .where(ClaimItem.claim_id == claim.id, ClaimItem.sequence == sequence)
                        .values(approved_amount=value)
                        .execution_options(synchronize_session=False))
    if approved > 0:
        _settle(session, principal=principal, claim=claim, approved=approved)
    # The patient and the desk that submitted it are told (no amounts or services in the
    # email: only the event's name and a link).
    for user_id in {claim.patient_id, claim.submitted_by} - {None}:
        assert user_id is not None
        notify_event(session, user_id=user_id, kind=NotificationKind.claim_adjudicated,
                     subject_id=str(claim.id))
    session.flush()
    refreshed = session.get(Claim, claim.id, populate_existing=True)
    assert refreshed is not None
    return refreshed


def _settle(session: Session, *, principal: Principal, claim: Claim, approved: Decimal) -> None:
    invoice = settlement.take(session, invoice_id=claim.invoice_id, amount=approved,
                              settled=settlement.Settled.insurer)
    if invoice is None:
        now = session.get(Invoice, claim.invoice_id, populate_existing=True)
        assert now is not None  # a foreign key
        if now.status not in {s.value for s in PAYABLE}:
            raise Conflict(f"the invoice is {now.status}: nothing can be settled against it")
        raise Conflict(f"the invoice's balance ({Decimal(now.balance):.2f}) is below the "
                       f"approved amount ({approved:.2f}): the patient paid meanwhile")
    session.add(Payment(
        id=uuid.uuid4(), organization_id=claim.organization_id, invoice_id=claim.invoice_id,
        method=PaymentMethod.insurer.value, amount=approved, currency=claim.currency,
        refunded_amount=ZERO, claim_id=claim.id, reference=f"claim {claim.id}",
        received_by=principal.user_id))


def service_period(session: Session, invoice_id: uuid.UUID) -> tuple[date, date] | None:
    found = session.execute(select(func.min(Charge.service_date), func.max(Charge.service_date))
                            .where(Charge.invoice_id == invoice_id)).one()
    return (found[0], found[1]) if found[0] is not None else None



def record_types(session: Session, items: Sequence[ClaimItem]) -> dict[uuid.UUID, str]:
    """The FHIR resource type of each supporting record (metadata, not its content)."""
    ids = {item.record_id for item in items if item.record_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(Record.id, Record.resource_type).where(Record.id.in_(ids)))
    return {row.id: row.resource_type for row in rows}
