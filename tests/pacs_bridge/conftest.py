"""Fixtures for the DICOM bridge: stores of both adapters, and DICOM test data made in code.

`store` and `store_pair` are parametrised "embedded" (LocalFolderDicomStore in a temporary
folder) and "real" (OrthancDicomStore against two Orthanc servers started once per session,
or the ones named by OHMS_TEST_ORTHANC_URLS). Each test works on its own patient ID and new
UIDs, so tests sharing the session's Orthanc servers do not see each other's studies.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pacs_bridge import DicomStore, LocalFolderDicomStore, OrthancDicomStore
from pacs_bridge.synthetic import ct_instance, ct_study
from scripts.services.orthanc import OrthancEndpoint, orthanc_servers

StoreFactory = Callable[..., DicomStore]


@pytest.fixture(scope="session")
def orthanc_endpoints() -> Iterator[list[OrthancEndpoint]]:
    """Two running Orthanc servers: institution A and institution B."""
    with orthanc_servers(2) as endpoints:
        yield endpoints


@pytest.fixture(params=["embedded", "real"])
def store_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[..., DicomStore]]:
    """Builds a store of institution 0 or 1 for the parametrised backend."""
    opened: list[OrthancDicomStore] = []

    def build(institution: int = 0, **settings: int) -> DicomStore:
        if request.param == "embedded":
            return LocalFolderDicomStore(tmp_path / f"institution-{institution}", **settings)
        endpoint = request.getfixturevalue("orthanc_endpoints")[institution]
        store = OrthancDicomStore(
            endpoint.url,
            username=endpoint.username,
            password=endpoint.password,
            timeout=30.0,
            **settings,
        )
        opened.append(store)
        return store

    yield build
    for store in opened:
        store.close()


@pytest.fixture
def store(store_factory: StoreFactory) -> DicomStore:
    return store_factory(0)


@pytest.fixture
def store_pair(store_factory: StoreFactory) -> tuple[DicomStore, DicomStore]:
    return store_factory(0), store_factory(1)


@pytest.fixture
def patient_id() -> str:
    return f"UHID-{uuid.uuid4().hex[:12]}"


def zip_of(members: list[tuple[str, bytes]], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


@pytest.fixture
def make_ct_instance() -> Callable[..., bytes]:
    return ct_instance


@pytest.fixture
def make_ct_study() -> Callable[..., list[bytes]]:
    return ct_study


@pytest.fixture
def make_zip() -> Callable[..., bytes]:
    return zip_of
