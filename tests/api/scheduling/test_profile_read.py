"""GET /practitioners/{id}/profile: the practitioner's directory entry as it stands, for the
practitioner and their organisation's helpdesk and administrators; other staff of the
organisation 403; anyone of another organisation, or a patient, 404. A practitioner without
a profile yet is 200 with its fields null or empty."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.conftest import Ohms, User
from tests.api.scheduling.factories import assert_problem, clinic

PROFILE = {"specialty_code": "394579002", "specialty": "Cardiology", "languages": ["en", "hi"],
           "fee": {"amount": "45.50", "currency": "INR"}}


def get_profile(ohms: Ohms, by: User, practitioner: User) -> httpx.Response:
    return ohms.client.get(f"/api/v1/practitioners/{practitioner.id}/profile",
                           headers=by.headers)


def fields(body: dict[str, Any]) -> tuple[Any, ...]:
    return (body["specialty_code"], body["specialty"], body["languages"], body["fee"])


def test_the_practitioner_and_the_front_desk_read_the_profile(ohms: Ohms) -> None:
    c = clinic(ohms)
    # No profile yet: an entry all the same, its fields empty.
    r = get_profile(ohms, c.physician, c.physician)
    assert r.status_code == 200, r.text
    assert fields(r.json()) == (None, None, [], None)
    assert r.json()["id"] == c.physician.id and r.json()["organization"] == c.org

    put = ohms.client.put(f"/api/v1/practitioners/{c.physician.id}/profile",
                          headers=c.physician.headers, json=PROFILE)
    assert put.status_code == 200, put.text
    for reader in (c.physician, c.helpdesk, c.admin):
        r = get_profile(ohms, reader, c.physician)
        assert r.status_code == 200, (reader.email, r.text)
        assert fields(r.json()) == ("394579002", "Cardiology", ["en", "hi"],
                                    {"amount": "45.50", "currency": "INR"})
        assert r.json()["name"] == "Physician Tester"


def test_others_do_not_read_the_profile(ohms: Ohms) -> None:
    c, other = clinic(ohms), clinic(ohms)
    patient = ohms.register_patient()
    ohms.client.put(f"/api/v1/practitioners/{c.physician.id}/profile",
                    headers=c.physician.headers, json=PROFILE)
    # Another practitioner of the organisation: not theirs to read.
    assert_problem(get_profile(ohms, c.nurse, c.physician), 403)
    # Another organisation's staff, even its front desk: no such practitioner for them.
    for outsider in (other.admin, other.helpdesk, other.physician):
        assert_problem(get_profile(ohms, outsider, c.physician), 404)
    # A patient reads the directory instead.
    assert get_profile(ohms, patient, c.physician).status_code in (403, 404)
    # A member who is not a practitioner has no profile.
    assert_problem(get_profile(ohms, c.admin, c.helpdesk), 422)
