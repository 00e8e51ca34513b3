"""Imaging test helpers: an app per backend with a small study limit, institutions whose
DICOM store is a folder (embedded) or one of the session's two Orthanc servers (real)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from pacs_bridge import DicomStore
from scripts.services.orthanc import OrthancProcess
from tests.api.conftest import Ohms, start_ohms
from tests.api.records.conftest import Institution, institution
from tests.conftest import DatabaseFactory

MAX_STUDY_BYTES = 300_000


@dataclass
class Imaging:
    ohms: Ohms
    orthancs: list[OrthancProcess] | None
    umbral_keys: dict[str, str] = field(default_factory=dict)

    def site(self, kind: str, *roles: str, orthanc: int | None = None,
             custodial: bool = False) -> Institution:
        """An institution; on the real backend its DICOM store is Orthanc `orthanc`. With
        `custodial`, its Umbral keys are kept in the service's keystore (`umbral_key`)."""
        if custodial:
            org = self.ohms.create_org(kind)
            admin = self.ohms.add_member(org, "org_admin")
            inst = Institution(org, admin, None,  # type: ignore[arg-type]
                               {role: self.ohms.add_member(org, role, by=admin)
                                for role in roles})
        else:
            inst = institution(self.ohms, kind, *roles)
        if self.orthancs is not None and orthanc is not None:
            ep = self.orthancs[orthanc].endpoint
            host = ep.url.removeprefix("http://")
            self.ohms.container.dicom.assign_orthanc(
                uuid.UUID(inst.org_id), f"http://{ep.username}:{ep.password}@{host}")
        if custodial:
            r = self.ohms.client.post(f"/api/v1/organizations/{inst.org_id}/keys/custodial",
                                      headers=inst.admin.headers)
            assert r.status_code == 201, r.text
            self.umbral_keys[inst.org_id] = r.json()["umbral_public_key"]
        return inst

    def store_of(self, inst: Institution) -> DicomStore:
        return self.ohms.container.dicom.of(uuid.UUID(inst.org_id))


@pytest.fixture(scope="session")
def imaging(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory,
            request: pytest.FixtureRequest) -> Iterator[Imaging]:
    orthancs = request.getfixturevalue("orthanc_processes") \
        if databases.kind == "real" else None
    for ohms in start_ohms(databases, tmp_path_factory.mktemp(f"imaging-{databases.kind}"),
                           audit_batch_max_seconds=3600, max_study_bytes=MAX_STUDY_BYTES):
        yield Imaging(ohms, orthancs)


def upload(ohms: Ohms, author: Any, uhid: str, files: list[tuple[str, bytes]],
           upload_id: str | None = None) -> Any:
    return ohms.client.post(
        f"/api/v1/patients/{uhid}/imaging/studies", headers=author.headers,
        params={"upload_id": upload_id} if upload_id else None,
        files=[("files", (name, io.BytesIO(data), "application/dicom"))
               for name, data in files])
