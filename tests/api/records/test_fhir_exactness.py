"""Records hold exactly what the client wrote and only valid FHIR JSON (issue 10): decimals
keep their digits, structurally invalid resources and unpaired surrogates are refused with
the path and the rule; a record's existence is not told to callers with no basis to know
it; record lists come in pages."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from api.audit.models import AccessLogEntry
from api.errors import Invalid
from api.records import fhir
from tests.api.conftest import Ohms, User
from tests.api.consent.conftest import run_workers
from tests.api.records.conftest import (
    PROBLEM,
    institution,
    keyed_patient,
    marker,
    note,
    record_count,
    submit_grant,
    write,
)

FHIR_JSON = {"Content-Type": "application/fhir+json"}

# Written as a client sends them: the digits after the point are part of the value.
OBSERVATION = """{
  "resourceType": "Observation",
  "status": "final",
  "category": [{"coding": [{"system":
      "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
  "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7",
                       "display": "Body weight"}]},
  "subject": {"reference": "Patient/%(uhid)s"},
  "effectiveDateTime": "2024-03-01T09:30:00+05:30",
  "valueQuantity": {"value": 105.00, "unit": "kg", "system": "http://unitsofmeasure.org",
                    "code": "kg"},
  "component": [{"code": {"coding": [{"system": "http://loinc.org", "code": "8302-2",
                                      "display": "Body height"}]},
                 "valueQuantity": {"value": 66.899999999999991, "unit": "in",
                                   "system": "http://unitsofmeasure.org", "code": "[in_i]"}},
                {"code": {"text": "Scale reading"},
                 "valueQuantity": {"value": 1.050e2, "unit": "kg"}}]
}"""

CLAIM = """{
  "resourceType": "Claim",
  "status": "active",
  "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type",
                       "code": "professional"}]},
  "use": "claim",
  "patient": {"reference": "Patient/%(uhid)s"},
  "created": "2024-03-01",
  "provider": {"reference": "Organization/ohms-hospital-1"},
  "priority": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/processpriority",
                           "code": "normal"}]},
  "insurance": [{"sequence": 1, "focal": true, "coverage": {"reference": "Coverage/c-1"}}],
  "item": [{"sequence": 1,
            "productOrService": {"coding": [{"system": "http://snomed.info/sct",
                                             "code": "185349003"}]},
            "quantity": {"value": 2},
            "unitPrice": {"value": 105.00, "currency": "INR"},
            "net": {"value": 210.00, "currency": "INR"}}],
  "total": {"value": 210.00, "currency": "INR"}
}"""


def post_text(ohms: Ohms, who: User, url: str, text: str) -> Any:
    return ohms.client.post(url, content=text.encode(), headers={**who.headers, **FHIR_JSON})


def opened(ohms: Ohms, who: User, keys: Any, record_id: str) -> bytes:
    r = ohms.client.get(f"/api/v1/records/{record_id}", headers=who.headers)
    assert r.status_code == 200, r.text
    plaintext: bytes = keys.open_record(r.json())
    return plaintext


def test_decimals_are_stored_exactly_as_written(ohms: Ohms) -> None:
    patient, keys = keyed_patient(ohms)
    uhid = patient.user.uhid
    url = f"/api/v1/patients/{uhid}/records"
    observation = OBSERVATION % {"uhid": uhid}
    claim = CLAIM % {"uhid": uhid}

    written = post_text(ohms, patient.user, url, observation)
    assert written.status_code == 201, written.text
    assert written.json()["category"] == "vital_signs"
    stored = opened(ohms, patient.user, keys, written.json()["id"])
    assert b'"value":105.00' in stored
    assert b'"value":66.899999999999991' in stored
    assert b'"value":1.050e2' in stored
    # The same resource, number for number (and nothing else changed).
    assert json.loads(stored, parse_float=Decimal) == json.loads(observation,
                                                                 parse_float=Decimal)

    billed = post_text(ohms, patient.user, url, claim)
    assert billed.status_code == 201, billed.text
    stored_claim = opened(ohms, patient.user, keys, billed.json()["id"])
    assert b'"unitPrice":{"value":105.00,"currency":"INR"}' in stored_claim
    assert b'"total":{"value":210.00,"currency":"INR"}' in stored_claim
    assert json.loads(stored_claim, parse_float=Decimal) == json.loads(claim,
                                                                       parse_float=Decimal)

    # A new version keeps its numbers too.
    revised = observation.replace("105.00", "104.50")
    version = ohms.client.put(f"/api/v1/records/{written.json()['id']}",
                              content=revised.encode(),
                              headers={**patient.user.headers, **FHIR_JSON})
    assert version.status_code == 201, version.text
    assert b'"value":104.50' in opened(ohms, patient.user, keys, version.json()["id"])

    # An institution on the keystore tier is served the resource exactly as stored.
    clinic = ohms.create_org("clinic")
    admin = ohms.add_member(clinic, "org_admin")
    nurse = ohms.add_member(clinic, "nurse", by=admin)
    made = ohms.client.post(f"/api/v1/organizations/{clinic}/keys/custodial",
                            headers=admin.headers)
    assert made.status_code == 201, made.text
    grant = submit_grant(ohms, patient, clinic, scope="category:all",
                         kfrags=keys.grant_kfrags(made.json()["umbral_public_key"]),
                         verifying_key=keys.key_document()["verifying_key"])
    assert grant.status_code == 201, grant.text
    run_workers(ohms)
    served = ohms.client.get(f"/api/v1/records/{billed.json()['id']}/resource",
                             headers=nurse.headers)
    assert served.status_code == 200, served.text
    assert served.content == stored_claim


def test_structurally_invalid_fhir_is_refused_naming_the_path(ohms: Ohms) -> None:
    patient, _ = keyed_patient(ohms)
    uhid = patient.user.uhid
    url = f"/api/v1/patients/{uhid}/records"
    secret = marker("rules")
    observation = {
        "resourceType": "Observation", "status": "final",
        "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "laboratory"}]}],
        "code": {"text": "Glucose"}, "subject": {"reference": f"Patient/{uhid}"},
        "note": [{"text": secret}]}
    long_id = "p" * 115
    cases: list[tuple[dict[str, Any], str]] = [
        ({"resourceType": "Patient", "id": long_id, "name": [{"text": secret}]}, "id: "),
        ({**observation, "contained": [{"resourceType": "Specimen", "id": "s" * 65}],
          "specimen": {"reference": "#" + "s" * 65}}, "contained[0].id: "),
        ({**observation, "contained": [{"resourceType": "Specimen", "id": "s 1"}]},
         "contained[0].id: "),
        ({**observation, "category": [{"coding": [], "text": "lab"}]},
         "category[0].coding: "),
        ({**observation, "identifier": []}, "identifier: "),
        ({**observation, "issued": None}, "issued: "),
        ({**observation, "valueQuantity": {}}, "valueQuantity: "),
        ({**observation, "note": [{"text": ""}]}, "note[0].text: "),
        ({"resourceType": "Patient", "name": [{"given": [secret, None]}]},
         "name[0].given[1]: "),
    ]
    before = record_count(ohms)
    for resource, path in cases:
        r = ohms.client.post(url, headers=patient.user.headers, json=resource)
        assert r.status_code == 422, (path, r.text)
        assert r.headers["content-type"] == PROBLEM
        assert r.json()["detail"].startswith(path), r.json()["detail"]
        assert secret not in r.text and long_id not in r.text
    # Not JSON as FHIR allows it: NaN, a property twice, another media type.
    for text, headers in (('{"resourceType": "Observation", "valueInteger": NaN}', FHIR_JSON),
                          ('{"resourceType": "Patient", "active": true, "active": false}',
                           FHIR_JSON),
                          (json.dumps(observation), {"Content-Type": "text/plain"})):
        r = ohms.client.post(url, content=text.encode(),
                             headers={**patient.user.headers, **headers})
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, r.text
    assert record_count(ohms) == before

    # What FHIR JSON does allow is kept: a primitive array aligned with its `_` twin.
    aligned = {"resourceType": "Patient", "id": "p-1.v2",
               "name": [{"given": ["Asha", None], "_given": [None, {"extension": [
                   {"url": "https://ohms.dev/fhir/StructureDefinition/initial",
                    "valueString": "K"}]}]}]}
    write(ohms, patient.user, uhid, aligned)
    assert record_count(ohms) == before + 1


def test_an_unpaired_surrogate_is_refused_where_it_enters(ohms: Ohms) -> None:
    patient, _ = keyed_patient(ohms)
    uhid = patient.user.uhid
    url = f"/api/v1/patients/{uhid}/records"
    before = record_count(ohms)
    lone = json.dumps(note(uhid, "x")).replace('"description": "x"',
                                               '"description": "ab\\ud800cd"')
    in_key = json.dumps(note(uhid, "x")).replace('"description"', '"desc\\udc00"')
    for text in (lone, in_key):
        r = post_text(ohms, patient.user, url, text)
        # The app's JSON body guard (api.middleware) answers 400 before the route; without
        # it the records route answers 422 naming the path (see the test below).
        assert r.status_code in (400, 422) and r.headers["content-type"] == PROBLEM, r.text
        assert "unpaired surrogate" in r.json()["detail"]
    # A pair of surrogates is one character, and welcome.
    paired = json.dumps(note(uhid, "x")).replace('"description": "x"',
                                                 '"description": "\\ud83e\\ude7a"')
    assert post_text(ohms, patient.user, url, paired).status_code == 201
    assert record_count(ohms) == before + 1


def test_unpaired_surrogates_are_refused_naming_the_path() -> None:
    """The records route parses its body itself (`fhir.parse_json`), and other contexts
    hand the record service dictionaries: a lone surrogate is a refusal (422) naming the
    path, never a UnicodeEncodeError (500) when the record is encoded."""
    parsed = fhir.parse_json(b'{"resourceType": "DocumentReference", "status": "current", '
                             b'"content": [{"attachment": {"title": "ok"}}, '
                             b'{"attachment": {"title": "bad \\udfff"}}]}')
    assert isinstance(parsed, dict)
    built = {"resourceType": "DocumentReference", "status": "current",
             "content": [{"attachment": {"title": "made in code \udfff"}}]}
    for resource, path in ((parsed, r"content\[1\]\.attachment\.title"),
                           (built, r"content\[0\]\.attachment\.title")):
        with pytest.raises(Invalid, match=rf"^{path}: the string holds an unpaired surrogate"):
            fhir.check_json_rules(resource)
        with pytest.raises(Invalid, match=rf"^{path}: the string holds an unpaired surrogate"):
            fhir.serialise(resource)
    with pytest.raises(Invalid, match=r"^\(resource\): a property name"):
        fhir.check_json_rules({"resourceType": "Basic", "code\ud800": "x"})
    assert fhir.serialise({"resourceType": "Basic", "n": Decimal("1.10"), "m": 2.5}) == \
        b'{"resourceType":"Basic","n":1.10,"m":2.5}'


def _without_instance(problem: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in problem.items() if k != "instance"}


def test_unrelated_organisations_cannot_tell_a_record_exists(ohms: Ohms) -> None:
    patient, _ = keyed_patient(ohms)
    uhid = patient.user.uhid
    existing = write(ohms, patient.user, uhid, note(uhid, marker("exists")))["id"]
    unknown = str(uuid.uuid4())
    clinic = institution(ohms, "hospital", "physician")
    physician = clinic.staff["physician"]

    reads = [ohms.client.get(f"/api/v1/records/{rid}", headers=physician.headers)
             for rid in (existing, unknown)]
    writes = [ohms.client.put(f"/api/v1/records/{rid}", headers=physician.headers,
                              json=note(uhid, "addendum")) for rid in (existing, unknown)]
    for known, random in (reads, writes):
        assert known.status_code == random.status_code == 404, known.text
        assert known.headers["content-type"] == random.headers["content-type"] == PROBLEM
        assert _without_instance(known.json()) == _without_instance(random.json())
    # The refusals are still in the patient's access log.
    with ohms.db() as s:
        denied = {(e.action, e.record) for e in s.scalars(select(AccessLogEntry).where(
            AccessLogEntry.accessor_uhid == physician.uhid,
            AccessLogEntry.outcome == "denied"))}
    assert denied == {("read", f"record:{existing}"), ("write", f"record:{existing}")}


def test_record_lists_come_in_pages(ohms: Ohms) -> None:
    patient, _ = keyed_patient(ohms)
    uhid = patient.user.uhid
    url = f"/api/v1/patients/{uhid}/records"
    for n in range(5):
        write(ohms, patient.user, uhid, note(uhid, f"note {n}"))
    for params in ({"limit": 201}, {"limit": 0}, {"offset": -1}, {"offset": 1_000_001}):
        r = ohms.client.get(url, params=params, headers=patient.user.headers)
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, params
    everything = ohms.client.get(url, params={"limit": 200}, headers=patient.user.headers)
    assert everything.status_code == 200 and len(everything.json()) == 5
    pages = [ohms.client.get(url, params={"limit": 3, "offset": offset},
                             headers=patient.user.headers).json() for offset in (0, 3)]
    assert [len(p) for p in pages] == [3, 2]
    assert [r["id"] for r in pages[0] + pages[1]] == [r["id"] for r in everything.json()]
    assert ohms.client.get(url, headers=patient.user.headers).json() == everything.json()
