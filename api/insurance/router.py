"""HTTP routes of the insurance context: a patient's coverages and their eligibility, claims
(and their FHIR Claim and ClaimResponse), and the insurer's adjudication. They run in the
system session (see api/insurance/sessions.py); the service confines every query to what
the caller may see."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from api.billing.money import CENTS
from api.db.base import utcnow
from api.deps import Principal, SystemDB, require
from api.errors import NotFound, problem_responses
from api.insurance import fhir, service
from api.insurance.models import Claim, ClaimItem, ClaimStatus, Coverage
from api.insurance.schemas import (
    AdjudicationCreate,
    ClaimCreate,
    ClaimItemOut,
    ClaimOut,
    CoverageCreate,
    CoverageOut,
    Day,
    EligibilityOut,
    Money,
)
from api.paging import Page
from api.tenants.models import Organization

router = APIRouter(tags=["insurance"])
ERRORS = problem_responses(401, 403, 404, 409, 422)
FHIR_JSON = "application/fhir+json"
FHIR_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {FHIR_JSON: {"schema": {"type": "object"}}},
          "description": "The FHIR R4 resource"}}


def _money(amount: Decimal, currency: str) -> Money:
    # Two decimals as stored (SQLite hands NUMERIC back without its scale).
    return Money.model_construct(amount=Decimal(amount).quantize(CENTS), currency=currency)


def _price(money: Money) -> service.Price:
    return service.Price(money.amount, money.currency)


def _coverage_out(coverage: Coverage, uhid: str, insurer_name: str) -> CoverageOut:
    return CoverageOut(
        id=coverage.id, patient=uhid, insurer=coverage.insurer_id, insurer_name=insurer_name,
        member_id=coverage.member_id, plan=coverage.plan, valid_from=coverage.valid_from,
        valid_to=coverage.valid_to,
        copay=_money(coverage.copay_amount, coverage.copay_currency),
        coinsurance=Decimal(coverage.coinsurance).quantize(Decimal("0.0001")),
        active=coverage.active, created_at=coverage.created_at)


@dataclass(frozen=True)
class _Names:
    """Who the claims name: patients' UHIDs and organisations' names, looked up at once."""

    uhids: dict[uuid.UUID, str]
    orgs: dict[uuid.UUID, Organization]

    @classmethod
    def of(cls, db: SystemDB, claims: list[Claim]) -> _Names:
        return cls(service.uhids(db, [c.patient_id for c in claims]),
                   service.organizations(db, [o for c in claims
                                              for o in (c.organization_id, c.insurer_id)]))


def _claim_out(claim: Claim, items: list[ClaimItem], names: _Names) -> ClaimOut:
    return ClaimOut(
        id=claim.id, status=ClaimStatus(claim.status), invoice=claim.invoice_id,
        coverage=claim.coverage_id, organization=claim.organization_id,
        insurer=claim.insurer_id, patient=names.uhids.get(claim.patient_id, ""),
        provider_name=names.orgs[claim.organization_id].name,
        insurer_name=names.orgs[claim.insurer_id].name,
        total=_money(claim.total, claim.currency),
        approved_amount=(None if claim.approved_amount is None
                         else _money(claim.approved_amount, claim.currency)),
        reason=claim.reason,
        items=[ClaimItemOut(
            sequence=item.sequence, code_system=item.code_system, code=item.code,
            description=item.description, amount=_money(item.amount, claim.currency),
            approved_amount=(None if item.approved_amount is None
                             else _money(item.approved_amount, claim.currency)),
            record_id=item.record_id) for item in items],
        submitted_at=claim.submitted_at, adjudicated_at=claim.adjudicated_at)


def _one_claim_out(db: SystemDB, claim: Claim) -> ClaimOut:
    return _claim_out(claim, service.claim_items(db, [claim.id])[claim.id],
                      _Names.of(db, [claim]))


# --- coverages ------------------------------------------------------------------------------


@router.post("/patients/{uhid}/coverages", status_code=status.HTTP_201_CREATED,
             responses=ERRORS)
def record_coverage(
    uhid: str, body: CoverageCreate,
    principal: Annotated[Principal, Depends(require("coverage:write"))], db: SystemDB,
) -> CoverageOut:
    """Record a patient's insurance coverage: the patient for themself, or a desk (the
    helpdesk) for a patient by UHID. 422 when the insurer is not an active insurer or the
    period is reversed."""
    coverage = service.record_coverage(
        db, principal=principal, patient_uhid=uhid, insurer_id=body.insurer,
        member_id=body.member_id, plan=body.plan, valid_from=body.valid_from,
        valid_to=body.valid_to, copay=_price(body.copay), coinsurance=body.coinsurance)
    names = service.organizations(db, [coverage.insurer_id])
    return _coverage_out(coverage, service.uhids(db, [coverage.patient_id])[coverage.patient_id],
                         names[coverage.insurer_id].name)


@router.get("/patients/{uhid}/coverages", responses=ERRORS)
def list_coverages(
    uhid: str, principal: Annotated[Principal, Depends(require("coverage:read"))],
    db: SystemDB, page: Page,
) -> list[CoverageOut]:
    """A patient's coverages: the patient's own; for staff, of a patient their organisation
    bills (or their insurer's members). Anyone else is told 404."""
    found = service.list_coverages(db, principal=principal, patient_uhid=uhid, page=page)
    names = service.organizations(db, [c.insurer_id for c in found])
    uhids = service.uhids(db, [c.patient_id for c in found])
    return [_coverage_out(c, uhids[c.patient_id], names[c.insurer_id].name) for c in found]


@router.get("/coverages/{coverage_id}/eligibility", responses=ERRORS)
def check_eligibility(
    coverage_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require("coverage:read"))], db: SystemDB,
    on: Annotated[Day | None, Query(description="The day of service (default: today)")] = None,
) -> EligibilityOut:
    """Whether the coverage covers services on a day, and why not."""
    found = service.check_eligibility(db, principal=principal, coverage_id=coverage_id, on=on)
    coverage = found.coverage
    return EligibilityOut(
        coverage=coverage.id, on=found.on, eligible=found.eligible, reasons=found.reasons,
        insurer=coverage.insurer_id, plan=coverage.plan,
        copay=_money(coverage.copay_amount, coverage.copay_currency),
        coinsurance=Decimal(coverage.coinsurance).quantize(Decimal("0.0001")))


@router.get("/coverages/{coverage_id}/eligibility/fhir", responses=ERRORS | FHIR_RESPONSE,
            response_class=Response)
def eligibility_fhir(
    coverage_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require("coverage:read"))], db: SystemDB,
    on: Annotated[Day | None, Query(description="The day of service (default: today)")] = None,
) -> Response:
    """The eligibility check as a FHIR R4 CoverageEligibilityResponse."""
    found = service.check_eligibility(db, principal=principal, coverage_id=coverage_id, on=on)
    return Response(fhir.eligibility_resource(
        found.coverage, patient_uhid=found.patient_uhid, insurer=found.insurer, on=found.on,
        reasons=found.reasons, created=utcnow().isoformat()), media_type=FHIR_JSON)


# --- claims ---------------------------------------------------------------------------------


@router.post("/claims", status_code=status.HTTP_201_CREATED, responses=ERRORS)
def submit_claim(
    body: ClaimCreate, principal: Annotated[Principal, Depends(require("claim:submit"))],
    db: SystemDB,
) -> ClaimOut:
    """Claim an issued (or partly paid) invoice of your organisation from the patient's
    insurer: 409 when the invoice is not claimable, the coverage does not cover its service
    dates, or the invoice already has a claim in play."""
    claim = service.submit_claim(db, principal=principal, invoice_id=body.invoice,
                                 coverage_id=body.coverage)
    return _one_claim_out(db, claim)


@router.get("/claims", responses=ERRORS)
def list_claims(
    principal: Annotated[Principal, Depends(require("claim:read"))], db: SystemDB,
    page: Page, status: ClaimStatus | None = None,
) -> list[ClaimOut]:
    """Your claims: your organisation's, or (an insurer) those addressed to you, or (a
    patient) your own; newest first."""
    found = service.list_claims(db, principal=principal, status=status, page=page)
    items = service.claim_items(db, [c.id for c in found])
    names = _Names.of(db, list(found))
    return [_claim_out(c, items[c.id], names) for c in found]


@router.get("/claims/{claim_id}", responses=ERRORS)
def read_claim(
    claim_id: uuid.UUID, principal: Annotated[Principal, Depends(require("claim:read"))],
    db: SystemDB,
) -> ClaimOut:
    return _one_claim_out(db, service.visible_claim(db, principal=principal, claim_id=claim_id))


def _parties(db: SystemDB, claim: Claim) -> tuple[str, Organization, Organization]:
    orgs = service.organizations(db, [claim.organization_id, claim.insurer_id])
    uhid = service.uhids(db, [claim.patient_id])[claim.patient_id]
    return uhid, orgs[claim.organization_id], orgs[claim.insurer_id]


@router.get("/claims/{claim_id}/fhir", responses=ERRORS | FHIR_RESPONSE,
            response_class=Response)
def claim_fhir(
    claim_id: uuid.UUID, principal: Annotated[Principal, Depends(require("claim:read"))],
    db: SystemDB,
) -> Response:
    """The claim as a FHIR R4 Claim: service names, codes and amounts, and references to the
    supporting records (read through the access gate, with the patient's grant)."""
    claim = service.visible_claim(db, principal=principal, claim_id=claim_id)
    uhid, provider, insurer = _parties(db, claim)
    items = service.claim_items(db, [claim.id])[claim.id]
    return Response(fhir.claim_resource(
        claim, items, patient_uhid=uhid, provider=provider, insurer=insurer,
        period=service.service_period(db, claim.invoice_id),
        record_types=service.record_types(db, items)), media_type=FHIR_JSON)


@router.get("/claims/{claim_id}/response/fhir", responses=ERRORS | FHIR_RESPONSE,
            response_class=Response)
def claim_response_fhir(
    claim_id: uuid.UUID, principal: Annotated[Principal, Depends(require("claim:read"))],
    db: SystemDB,
) -> Response:
    """The adjudication as a FHIR R4 ClaimResponse; 404 while the claim awaits it."""
    claim = service.visible_claim(db, principal=principal, claim_id=claim_id)
    if claim.status == ClaimStatus.submitted.value:
        raise NotFound("the claim has not been adjudicated yet")
    uhid, provider, insurer = _parties(db, claim)
    return Response(fhir.claim_response_resource(
        claim, service.claim_items(db, [claim.id])[claim.id], patient_uhid=uhid,
        provider=provider, insurer=insurer), media_type=FHIR_JSON)


@router.post("/claims/{claim_id}/adjudication", responses=ERRORS)
def adjudicate_claim(
    claim_id: uuid.UUID, body: AdjudicationCreate,
    principal: Annotated[Principal, Depends(require("claim:adjudicate"))], db: SystemDB,
) -> ClaimOut:
    """Adjudicate a claim addressed to your organisation, once: approved (by default what
    the coverage pays), partly approved (with amounts per item) or denied (with a reason).
    The approved amount is settled against the invoice at once; 409 when the invoice's
    balance is below it."""
    claim = service.adjudicate(
        db, principal=principal, claim_id=claim_id, outcome=ClaimStatus(body.outcome),
        amount=_price(body.approved_amount) if body.approved_amount else None,
        reason=body.reason,
        items=[(i.sequence, _price(i.approved_amount)) for i in body.items]
        if body.items else None)
    return _one_claim_out(db, claim)

