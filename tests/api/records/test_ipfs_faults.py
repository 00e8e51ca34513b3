"""With its IPFS node stopped, the record exchange answers 503 and writes nothing; after a
restart everything works again. Real backends only (PostgreSQL, Hardhat, an IPFS node of
this module's own that it stops and restarts)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from scripts.services.hardhat import ChainNode
from scripts.services.ipfs import IpfsNode
from tests.api.conftest import Ohms, start_ohms
from tests.api.records.conftest import PROBLEM, keyed_patient, marker, note, record_count, write
from tests.conftest import DatabaseFactory, DatabaseServer


@pytest.fixture
def own_node() -> Iterator[IpfsNode]:
    with IpfsNode() as node:
        yield node


@pytest.fixture
def ohms_on_own_node(postgres_server: DatabaseServer, chain_node: ChainNode,
                     own_node: IpfsNode, tmp_path: Path) -> Iterator[Ohms]:
    with ExitStack() as stack:
        databases = DatabaseFactory(kind="real", tmp=tmp_path, server=postgres_server,
                                    stack=stack, chain_node=chain_node,
                                    ipfs_api=own_node.api_multiaddr)
        with contextmanager(start_ohms)(databases, tmp_path / "data",
                                        ipfs_timeout_seconds=3.0) as ohms:
            yield ohms


def test_ipfs_down_means_503_and_nothing_written_then_recovery(
        ohms_on_own_node: Ohms, own_node: IpfsNode) -> None:
    ohms = ohms_on_own_node
    patient, keys = keyed_patient(ohms)
    url = f"/api/v1/patients/{patient.user.uhid}/records"
    before_text = marker("before")
    written = write(ohms, patient.user, patient.user.uhid, note(patient.user.uhid, before_text))
    count = record_count(ohms)

    own_node.stop()
    r = ohms.client.post(url, headers=patient.user.headers,
                         json=note(patient.user.uhid, marker("down")))
    assert r.status_code == 503 and r.headers["content-type"] == PROBLEM, r.text
    assert record_count(ohms) == count
    r = ohms.client.get(f"/api/v1/records/{written['id']}", headers=patient.user.headers)
    assert r.status_code == 503 and r.headers["content-type"] == PROBLEM
    ready = ohms.client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["checks"]["blobs"] == "unavailable"

    own_node.start()
    r = ohms.client.get(f"/api/v1/records/{written['id']}", headers=patient.user.headers)
    assert r.status_code == 200 and before_text in keys.open_record(r.json()).decode()
    after_text = marker("after")
    after = write(ohms, patient.user, patient.user.uhid, note(patient.user.uhid, after_text))
    body = ohms.client.get(f"/api/v1/records/{after['id']}", headers=patient.user.headers)
    assert after_text in keys.open_record(body.json()).decode()
    assert record_count(ohms) == count + 1
    assert ohms.client.get("/readyz").status_code == 200
