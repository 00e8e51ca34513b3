"""A PACS that is down answers DicomStoreUnavailable, and works again once it is back."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pacs_bridge import (
    DicomStoreUnavailable,
    LocalFolderDicomStore,
    OrthancDicomStore,
    UploadedFile,
    upload_files,
)
from scripts.services.orthanc import OrthancProcess, orthanc_server

MakeStudy = Callable[..., list[bytes]]


@pytest.fixture
def own_orthanc() -> Iterator[OrthancProcess]:
    """An Orthanc this test may stop and start (never one named by OHMS_TEST_ORTHANC_URLS)."""
    with orthanc_server() as process:
        yield process


def test_stopped_orthanc_is_unavailable_and_restart_keeps_the_data(
    own_orthanc: OrthancProcess, patient_id: str, make_ct_study: MakeStudy
) -> None:
    endpoint = own_orthanc.endpoint
    study = make_ct_study(patient_id, 2)
    with OrthancDicomStore(endpoint.url, username=endpoint.username,
                           password=endpoint.password, timeout=5.0) as store:
        stored = store.store_instance(study[0])

        own_orthanc.stop()
        down_calls: list[Callable[[], object]] = [
            store.ping,
            lambda: store.store_instance(study[1]),
            lambda: store.get_instance(stored.sop_instance_uid),
            lambda: store.list_studies(patient_id),
            lambda: store.list_instances(stored.study_instance_uid),
            lambda: store.export_study_zip(stored.study_instance_uid, io.BytesIO()),
            lambda: store.render_preview(stored.sop_instance_uid),
            lambda: store.delete_study(stored.study_instance_uid),
            lambda: upload_files(store, [UploadedFile("x.dcm", study[1])]),
        ]
        for call in down_calls:
            with pytest.raises(DicomStoreUnavailable):
                call()

        own_orthanc.start()
        store.ping()
        assert store.get_instance(stored.sop_instance_uid) == study[0]
        assert store.store_instance(study[1]).newly_stored
        assert len(store.list_instances(stored.study_instance_uid)) == 2


def test_wrong_credentials_are_unavailable_not_a_crash(own_orthanc: OrthancProcess) -> None:
    endpoint = own_orthanc.endpoint
    with OrthancDicomStore(endpoint.url, username=endpoint.username, password="wrong") as store:
        with pytest.raises(DicomStoreUnavailable):
            store.ping()
        with pytest.raises(DicomStoreUnavailable):
            store.list_studies()


def test_missing_local_folder_is_unavailable(tmp_path: Path) -> None:
    store = LocalFolderDicomStore(tmp_path / "pacs")
    store.ping()
    (tmp_path / "pacs").rename(tmp_path / "moved")
    with pytest.raises(DicomStoreUnavailable):
        store.ping()
    with pytest.raises(DicomStoreUnavailable):
        store.list_studies()
