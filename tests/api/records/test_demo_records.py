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
    # A note, a lab result, an allergy, a CT study and its report, a prescription; grants to
    # the hospital, the lab and the radiology centre.
    assert _counts(ohms) == first == (6, 3)

    patient = ohms.signed_in(User("", "", "patient@ohms.demo", DEMO_PASSWORD))
    tech = ohms.signed_in(User("", "", "labtech@lab.demo", DEMO_PASSWORD))
    uhid = ohms.client.get("/api/v1/me", headers=patient.headers).json()["uhid"]
    own = ohms.client.get(f"/api/v1/patients/{uhid}/records", headers=patient.headers).json()
    assert {r["category"] for r in own} == {"document", "lab", "allergy", "imaging",
                                           "medication"}
    assert sorted(r["resource_type"] for r in own if r["category"] == "imaging") == [
        "DiagnosticReport", "ImagingStudy"]
    shared = ohms.client.get(f"/api/v1/patients/{uhid}/records", headers=tech.headers).json()
    assert [r["category"] for r in shared] == ["lab"]
    lab_keys = KeyHolder.load(demo_key_file(ohms.container, "lab"), DEMO_PASSWORD)
    body = ohms.client.get(f"/api/v1/records/{shared[0]['id']}", headers=tech.headers).json()
    assert b"Hemoglobin A1c" in lab_keys.open_record(body)


def test_the_demo_patients_wallet_opens_her_records(demo_ohms: Ohms) -> None:
    """Her wallet file (what the portal's built-in wallet imports) is linked to her account,
    signed her grants, and its key-derivation signature gives the keys her records are
    sealed to; nothing of it reaches the service but the public keys and the address."""
    from eth_account import Account

    from api.demo import demo_wallet_file

    ohms = demo_ohms
    seed_demo(ohms.container)
    keystore = demo_wallet_file(ohms.container)
    wallet = Account.from_key(Account.decrypt(keystore.read_text(), DEMO_PASSWORD))
    holder = KeyHolder.from_wallet_private_key(wallet.key)
    patient = ohms.signed_in(User("", "", "patient@ohms.demo", DEMO_PASSWORD))
    me = ohms.client.get("/api/v1/me", headers=patient.headers).json()
    assert me["wallet_address"] == wallet.address
    published = ohms.client.get("/api/v1/me/keys", headers=patient.headers).json()
    assert published == holder.key_document()
    own = ohms.client.get(f"/api/v1/patients/{me['uhid']}/records",
                          headers=patient.headers).json()
    lab = next(r for r in own if r["category"] == "lab")
    sealed = ohms.client.get(f"/api/v1/records/{lab['id']}", headers=patient.headers).json()
    assert b"Hemoglobin A1c" in holder.open_record(sealed)
    with ohms.db() as s:
        grants = list(s.scalars(select(Consent)))
    assert grants and {g.patient_address for g in grants} == {wallet.address}
