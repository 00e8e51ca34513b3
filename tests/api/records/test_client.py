"""The Python client of the exchange, as a patient and as institutions use it: publish keys,
upload a record, grant with kfrags, read and decrypt, revoke."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.cli import main
from reencryption.client import KeyHolder
from reencryption.exchange_client import ExchangeClient, ExchangeError
from tests.api.conftest import Ohms
from tests.api.consent.conftest import patient_with_wallet, run_workers
from tests.api.records.conftest import lab_result, marker


def test_patient_and_lab_exchange_through_the_client(ohms: Ohms) -> None:
    patient = patient_with_wallet(ohms)
    lab_org = ohms.create_org("lab")
    lab_admin = ohms.add_member(lab_org, "org_admin")
    tech = ohms.add_member(lab_org, "lab_technician", by=lab_admin)
    lab_keys = KeyHolder.generate()
    me = ExchangeClient("", patient.user.token,
                        KeyHolder.from_wallet_private_key(bytes(patient.wallet.key)),
                        http=ohms.client)
    ExchangeClient("", lab_admin.token, lab_keys, http=ohms.client) \
        .publish_organization_keys(lab_org)
    lab = ExchangeClient("", tech.token, lab_keys, http=ohms.client)
    me.publish_keys()

    text = marker("client")
    written = me.upload_record(patient.user.uhid, lab_result(patient.user.uhid, text))
    assert written["category"] == "lab"
    assert json.loads(me.read_record(written["id"]))["note"][0]["text"] == text
    with pytest.raises(ExchangeError) as refused:
        lab.read_record(written["id"])
    assert refused.value.status == 404  # no basis to know the record exists

    consent = me.grant(lab_org, wallet_private_key=bytes(patient.wallet.key),
                       scope="category:lab")
    run_workers(ohms)
    assert json.loads(lab.read_record(written["id"]))["note"][0]["text"] == text
    assert [r["id"] for r in lab.list_records(patient.user.uhid, category="lab")] == \
        [written["id"]]

    me.revoke(consent["id"], wallet_private_key=bytes(patient.wallet.key))
    with pytest.raises(ExchangeError) as again:
        lab.read_record(written["id"])
    assert again.value.status == 403


def test_client_keygen_saves_sealed_keys_and_prints_the_public_half(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    key_file = tmp_path / "keys.json"
    monkeypatch.setenv("OHMS_KEY_PASSPHRASE", "a long test passphrase")
    assert main(["client", "--key-file", str(key_file), "keygen"]) == 0
    printed = json.loads(capsys.readouterr().out)
    loaded = KeyHolder.load(key_file, "a long test passphrase")
    assert loaded.key_document() == printed
    with pytest.raises(SystemExit):  # never overwrites keys
        main(["client", "--key-file", str(key_file), "keygen"])
    assert KeyHolder.load(key_file, "a long test passphrase").key_document() == printed
