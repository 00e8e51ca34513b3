"""Coverages and eligibility: who records and reads a patient's coverage, what is refused (and
changes nothing), and the eligibility check as JSON and as a FHIR
CoverageEligibilityResponse."""

from __future__ import annotations

from decimal import Decimal

from fhir.resources.R4B.coverageeligibilityresponse import CoverageEligibilityResponse
from sqlalchemy import func, select

from api.insurance.models import Coverage
from tests.api.billing_helpers import PROBLEM, issued_invoice, money
from tests.api.conftest import Ohms
from tests.api.insurance.factories import coverage, day, desk, insurer, post_coverage


def coverage_count(ohms: Ohms) -> int:
    with ohms.db() as s:
        return int(s.scalar(select(func.count()).select_from(Coverage)) or 0)


def test_a_patient_records_their_coverage_and_bad_ones_are_refused(ohms: Ohms) -> None:
    patient = ohms.register_patient()
    acme = insurer(ohms)
    made = coverage(ohms, patient, patient, acme.org)
    assert made["patient"] == patient.uhid and made["insurer"] == acme.org
    assert made["copay"] == {"amount": "100.00", "currency": "INR"}
    assert Decimal(made["coinsurance"]) == Decimal("0.20")
    listed = ohms.client.get(f"/api/v1/patients/{patient.uhid}/coverages",
                             headers=patient.headers)
    assert listed.status_code == 200 and [c["id"] for c in listed.json()] == [made["id"]]

    hospital = ohms.create_org("hospital")
    inactive = insurer(ohms)
    r = ohms.client.patch(f"/api/v1/organizations/{inactive.org}", headers=ohms.admin.headers,
                          json={"is_active": False})
    assert r.status_code == 200, r.text
    before = coverage_count(ohms)
    refusals = {
        "not an insurer": {"insurer": hospital},
        "no such organisation": {"insurer": "00000000-0000-4000-8000-000000000000"},
        "dates reversed": {"valid_from": day(10), "valid_to": day(9)},
        "coinsurance above 1": {"coinsurance": "1.5"},
        "coinsurance as a float": {"coinsurance": 0.2},
        "negative copay": {"copay": {"amount": "-1.00", "currency": "INR"}},
        "copay as a float": {"copay": {"amount": 100.0, "currency": "INR"}},
        "bad currency": {"copay": {"amount": "1.00", "currency": "rupees"}},
        "empty member id": {"member_id": ""},
        "unknown field": {"network": "gold"},
        "inactive insurer": {"insurer": inactive.org},
    }
    for label, change in refusals.items():
        bad = post_coverage(ohms, patient, patient, acme.org, **change)
        assert bad.status_code == 422, (label, bad.text)
        assert bad.headers["content-type"] == PROBLEM, label
    assert coverage_count(ohms) == before


def test_only_the_patient_or_a_desk_records_and_strangers_are_told_404(ohms: Ohms) -> None:
    patient, other = ohms.register_patient(), ohms.register_patient()
    acme = insurer(ohms)
    before = coverage_count(ohms)
    # Another patient cannot record (or list) a coverage for this one.
    assert post_coverage(ohms, other, patient, acme.org).status_code == 404
    assert ohms.client.get(f"/api/v1/patients/{patient.uhid}/coverages",
                           headers=other.headers).status_code == 404
    # A physician holds no coverage:write; an insurer's staff neither.
    physician = ohms.add_member(ohms.create_org("clinic"), "physician")
    assert post_coverage(ohms, physician, patient, acme.org).status_code == 403
    assert post_coverage(ohms, acme.staff, patient, acme.org).status_code == 403
    assert coverage_count(ohms) == before

    # The helpdesk records it; its organisation then reads it, as does the insurer.
    hospital = desk(ohms)
    made = coverage(ohms, hospital.helpdesk, patient, acme.org, member_id="MEM-77")
    for reader in (hospital.helpdesk, acme.staff, patient):
        got = ohms.client.get(f"/api/v1/patients/{patient.uhid}/coverages",
                              headers=reader.headers)
        assert got.status_code == 200 and made["id"] in {c["id"] for c in got.json()}
    # A desk of an organisation that neither bills the patient nor recorded it: 404, for
    # the list and the eligibility check.
    stranger = desk(ohms)
    assert ohms.client.get(f"/api/v1/patients/{patient.uhid}/coverages",
                           headers=stranger.helpdesk.headers).status_code == 404
    assert ohms.client.get(f"/api/v1/coverages/{made['id']}/eligibility",
                           headers=stranger.helpdesk.headers).status_code == 404
    # Another insurer does not see it either.
    assert ohms.client.get(f"/api/v1/coverages/{made['id']}/eligibility",
                           headers=insurer(ohms).staff.headers).status_code == 404
    # Once the stranger bills the patient it may see the coverage.
    issued_invoice(ohms, stranger.helpdesk, patient)
    got = ohms.client.get(f"/api/v1/patients/{patient.uhid}/coverages",
                          headers=stranger.helpdesk.headers)
    assert got.status_code == 200 and [c["id"] for c in got.json()] == [made["id"]]


def test_eligibility_in_and_out_of_validity_as_json_and_fhir(ohms: Ohms) -> None:
    patient = ohms.register_patient()
    acme = insurer(ohms)
    made = coverage(ohms, patient, patient, acme.org, valid_from=day(-10), valid_to=day(10),
                    copay=money("50.00"), coinsurance="0.1")
    url = f"/api/v1/coverages/{made['id']}/eligibility"
    inside = ohms.client.get(url, headers=patient.headers, params={"on": day(0)})
    assert inside.status_code == 200, inside.text
    assert inside.json() | {"coinsurance": None} == {
        "coverage": made["id"], "on": day(0), "eligible": True, "reasons": [],
        "insurer": acme.org, "plan": "Silver", "copay": money("50.00"), "coinsurance": None}
    assert Decimal(inside.json()["coinsurance"]) == Decimal("0.1")
    for outside in (day(11), day(-11)):
        out = ohms.client.get(url, headers=acme.staff.headers, params={"on": outside})
        assert out.status_code == 200 and out.json()["eligible"] is False
        assert any("validity" in reason for reason in out.json()["reasons"])
    assert ohms.client.get(url, headers=patient.headers,
                           params={"on": "not-a-day"}).status_code == 422

    fhir = ohms.client.get(f"{url}/fhir", headers=acme.staff.headers, params={"on": day(11)})
    assert fhir.status_code == 200 and fhir.headers["content-type"].startswith(
        "application/fhir+json")
    resource = CoverageEligibilityResponse.model_validate_json(fhir.content)
    assert resource.insurance[0].inforce is False
    assert resource.insurance[0].coverage.reference == f"Coverage/{made['id']}"
    assert resource.patient.identifier.value == patient.uhid
    assert "validity" in (resource.disposition or "")
    assert b'"value":50.00' in fhir.content
    good = ohms.client.get(f"{url}/fhir", headers=patient.headers, params={"on": day(0)})
    assert CoverageEligibilityResponse.model_validate_json(good.content) \
        .insurance[0].inforce is True

    # An insurer that stops operating covers nothing, whatever the dates.
    r = ohms.client.patch(f"/api/v1/organizations/{acme.org}", headers=ohms.admin.headers,
                          json={"is_active": False})
    assert r.status_code == 200, r.text
    stopped = ohms.client.get(url, headers=patient.headers, params={"on": day(0)}).json()
    assert stopped["eligible"] is False and stopped["reasons"] == ["the insurer is inactive"]
