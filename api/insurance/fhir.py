"""Claims, adjudications and eligibility checks as FHIR R4 resources (Claim, ClaimResponse,
CoverageEligibilityResponse), validated with fhir.resources' R4B models (as records are).

A claim carries service names, codes and amounts only; the clinical records that support it
are referenced by id (`supportingInfo`), and the insurer reads them through the access gate
under the patient's grant."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pydantic
from fhir.resources.R4B import get_fhir_model_class

from api.insurance.models import Claim, ClaimItem, ClaimStatus, Coverage
from api.records.fhir import UHID_SYSTEM, serialise
from api.tenants.models import Organization, OrganizationKind

CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
PROCESS_PRIORITY = "http://terminology.hl7.org/CodeSystem/processpriority"
INFORMATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/claiminformationcategory"
ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
PAYMENT_TYPE = "http://terminology.hl7.org/CodeSystem/ex-paymenttype"
BENEFIT_TYPE = "http://terminology.hl7.org/CodeSystem/benefit-type"
RECORD_SYSTEM = "https://ohms.dev/fhir/sid/record"
# A line without a code of a standard system is named by its description only.
UNCODED = "https://ohms.dev/fhir/CodeSystem/service"


def _money(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"value": Decimal(amount).quantize(Decimal("0.01")), "currency": currency}


def _organization(org: Organization) -> dict[str, Any]:
    return {"reference": f"Organization/{org.id}", "display": org.name}


def _patient(uhid: str) -> dict[str, Any]:
    return {"identifier": {"system": UHID_SYSTEM, "value": uhid}}


def _claim_type(provider: Organization) -> str:
    if provider.kind == OrganizationKind.hospital:
        return "institutional"
    if provider.kind == OrganizationKind.pharmacy:
        return "pharmacy"
    return "professional"


def _validated(resource: dict[str, Any]) -> bytes:
    """The resource's JSON (decimals as written), once the R4B model accepts it."""
    model = get_fhir_model_class(resource["resourceType"])
    try:
        model.model_validate(resource)
    except pydantic.ValidationError as exc:  # a bug here, never the caller's input
        raise RuntimeError(f"an invalid {resource['resourceType']} was built: "
                           f"{exc.error_count()} errors") from None
    return serialise(resource)


def _product(item: ClaimItem) -> dict[str, Any]:
    coding: dict[str, Any] = {"system": item.code_system or UNCODED,
                              "display": item.description}
    if item.code:
        coding["code"] = item.code
    return {"coding": [coding], "text": item.description}


def _record_reference(item: ClaimItem, types: dict[uuid.UUID, str]) -> dict[str, Any]:
    """The supporting record, by id: read with GET /api/v1/records/{id} (the access gate)."""
    assert item.record_id is not None
    reference: dict[str, Any] = {"identifier": {"system": RECORD_SYSTEM,
                                                "value": str(item.record_id)}}
    kind = types.get(item.record_id)
    if kind:
        reference |= {"reference": f"{kind}/{item.record_id}", "type": kind}
    return reference


def claim_resource(claim: Claim, items: list[ClaimItem], *, patient_uhid: str,
                   provider: Organization, insurer: Organization,
                   period: tuple[date, date] | None,
                   record_types: dict[uuid.UUID, str]) -> bytes:
    supporting = [item for item in items if item.record_id is not None]
    info_of = {item.sequence: n for n, item in enumerate(supporting, start=1)}
    resource: dict[str, Any] = {
        "resourceType": "Claim",
        "id": str(claim.id),
        "identifier": [{"system": "https://ohms.dev/fhir/sid/claim", "value": str(claim.id)}],
        "status": "active",
        "type": {"coding": [{"system": CLAIM_TYPE, "code": _claim_type(provider)}]},
        "use": "claim",
        "patient": _patient(patient_uhid),
        "created": claim.submitted_at.isoformat(),
        "insurer": _organization(insurer),
        "provider": _organization(provider),
        "priority": {"coding": [{"system": PROCESS_PRIORITY, "code": "normal"}]},
        "insurance": [{"sequence": 1, "focal": True,
                       "coverage": {"reference": f"Coverage/{claim.coverage_id}"}}],
        "item": [],
        "total": _money(claim.total, claim.currency),
    }
    if period is not None:
        resource["billablePeriod"] = {"start": period[0].isoformat(),
                                      "end": period[1].isoformat()}
    if supporting:
        resource["supportingInfo"] = [
            {"sequence": info_of[item.sequence],
             "category": {"coding": [{"system": INFORMATION_CATEGORY, "code": "info"}]},
             "valueReference": _record_reference(item, record_types)}
            for item in supporting]
    for item in items:
        line: dict[str, Any] = {
            "sequence": item.sequence, "productOrService": _product(item),
            "quantity": {"value": 1},
            "unitPrice": _money(item.amount, claim.currency),
            "net": _money(item.amount, claim.currency)}
        if item.sequence in info_of:
            line["informationSequence"] = [info_of[item.sequence]]
        resource["item"].append(line)
    return _validated(resource)


def claim_response_resource(claim: Claim, items: list[ClaimItem], *, patient_uhid: str,
                            provider: Organization, insurer: Organization) -> bytes:
    assert claim.adjudicated_at is not None and claim.approved_amount is not None
    outcome = "partial" if claim.status == ClaimStatus.partial.value else "complete"
    disposition = claim.reason or {"approved": "Approved", "partial": "Partly approved",
                                   "denied": "Denied"}[claim.status]

    def adjudication(submitted: Decimal, approved: Decimal | None) -> list[dict[str, Any]]:
        found = [{"category": {"coding": [{"system": ADJUDICATION, "code": "submitted"}]},
                  "amount": _money(submitted, claim.currency)}]
        if approved is not None:
            found.append({"category": {"coding": [{"system": ADJUDICATION,
                                                   "code": "benefit"}]},
                          "amount": _money(approved, claim.currency)})
        return found

    resource: dict[str, Any] = {
        "resourceType": "ClaimResponse",
        "id": str(claim.id),
        "status": "active",
        "type": {"coding": [{"system": CLAIM_TYPE, "code": _claim_type(provider)}]},
        "use": "claim",
        "patient": _patient(patient_uhid),
        "created": claim.adjudicated_at.isoformat(),
        "insurer": _organization(insurer),
        "requestor": _organization(provider),
        "request": {"reference": f"Claim/{claim.id}"},
        "outcome": outcome,
        "disposition": disposition,
        "item": [{"itemSequence": item.sequence,
                  "adjudication": adjudication(item.amount, item.approved_amount)}
                 for item in items],
        "total": adjudication(claim.total, claim.approved_amount),
        "payment": {"type": {"coding": [{"system": PAYMENT_TYPE, "code": "complete"}]},
                    "amount": _money(claim.approved_amount, claim.currency)},
    }
    return _validated(resource)


def eligibility_resource(coverage: Coverage, *, patient_uhid: str, insurer: Organization,
                         on: date, reasons: list[str], created: str) -> bytes:
    resource: dict[str, Any] = {
        "resourceType": "CoverageEligibilityResponse",
        "status": "active",
        "purpose": ["validation", "benefits"],
        "patient": _patient(patient_uhid),
        "servicedDate": on.isoformat(),
        "created": created,
        # OHMS keeps no request resource: the check is the GET itself.
        "request": {"display": f"eligibility of coverage {coverage.id} on {on.isoformat()}"},
        "outcome": "complete",
        "disposition": "; ".join(reasons) if reasons else "Eligible",
        "insurer": _organization(insurer),
        "insurance": [{
            "coverage": {"reference": f"Coverage/{coverage.id}"},
            "inforce": not reasons,
            "benefitPeriod": {"start": coverage.valid_from.isoformat(),
                              "end": coverage.valid_to.isoformat()},
            "item": [{
                "category": {"text": coverage.plan},
                "benefit": [
                    {"type": {"coding": [{"system": BENEFIT_TYPE, "code": "copay"}]},
                     "allowedMoney": _money(coverage.copay_amount, coverage.copay_currency)},
                    {"type": {"text": "coinsurance"},
                     "allowedString": f"{Decimal(coverage.coinsurance).normalize():f}"},
                ],
            }],
        }],
    }
    if reasons:
        resource["error"] = [{"code": {"text": reason}} for reason in reasons]
    return _validated(resource)
