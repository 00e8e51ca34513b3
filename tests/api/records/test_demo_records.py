"""`ohms seed-demo` shares demo records between demo institutions, and running it again
changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.consent.models import Consent
from api.demo import DEMO_PASSWORD, demo_key_file, seed_demo
from api.records.models import Record
from reencryption.client import KeyHolder
from tests.api.conftest import Ohms, User, start_ohms
from tests.conftest import DatabaseFactory


@pytest.fixture
def demo_ohms(databases: DatabaseFactory, tmp_path: Path) -> Iterator[Ohms]:
    with contextmanager(start_ohms)(databases, tmp_path) as ohms:
        yield ohms


def _counts(ohms: Ohms) -> tuple[int, int]:
    with ohms.db() as s:
        return (int(s.scalar(select(func.count()).select_from(Record)) or 0),
                int(s.scalar(select(func.count()).select_from(Consent)) or 0))


def test_demo_records_are_shared_with_the_demo_lab(demo_ohms: Ohms) -> None:
    ohms = demo_ohms
    seed_demo(ohms.container)
    first = _counts(ohms)
    seed_demo(ohms.container)
    # A note, a lab result, an allergy, a CT study and its report; grants to the hospital,
    # the lab and the radiology centre.
    assert _counts(ohms) == first == (5, 3)

    patient = ohms.signed_in(User("", "", "patient@ohms.demo", DEMO_PASSWORD))
    tech = ohms.signed_in(User("", "", "labtech@lab.demo", DEMO_PASSWORD))
    uhid = ohms.client.get("/api/v1/me", headers=patient.headers).json()["uhid"]
    own = ohms.client.get(f"/api/v1/patients/{uhid}/records", headers=patient.headers).json()
    assert {r["category"] for r in own} == {"document", "lab", "allergy", "imaging"}
    assert sorted(r["resource_type"] for r in own if r["category"] == "imaging") == [
        "DiagnosticReport", "ImagingStudy"]
    shared = ohms.client.get(f"/api/v1/patients/{uhid}/records", headers=tech.headers).json()
    assert [r["category"] for r in shared] == ["lab"]
    lab_keys = KeyHolder.load(demo_key_file(ohms.container, "lab"), DEMO_PASSWORD)
    body = ohms.client.get(f"/api/v1/records/{shared[0]['id']}", headers=tech.headers).json()
    assert b"Hemoglobin A1c" in lab_keys.open_record(body)
