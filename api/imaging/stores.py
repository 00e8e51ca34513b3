"""Each institution's DICOM store, picked from settings: an Orthanc named in
OHMS_ORTHANC_URLS, or else a folder of the data directory (data_dir/dicom/<org id>)."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from pacs_bridge import DicomStore, LocalFolderDicomStore, OrthancDicomStore


def orthanc_store(url_with_credentials: str, timeout: float) -> OrthancDicomStore:
    """An Orthanc adapter from a URL carrying basic-auth credentials."""
    parts = urlsplit(url_with_credentials.strip())
    if not parts.scheme or not parts.hostname:
        raise ValueError("an Orthanc URL is http(s)://user:password@host:port")
    port = f":{parts.port}" if parts.port else ""
    return OrthancDicomStore(f"{parts.scheme}://{parts.hostname}{port}{parts.path}",
                             username=parts.username, password=parts.password,
                             timeout=timeout)


class DicomStores:
    """The DICOM store of each organisation, made on first use and kept."""

    def __init__(self, data_dir: Path, orthanc_urls: dict[str, str], *,
                 timeout: float = 30.0) -> None:
        self._root = data_dir / "dicom"
        self._timeout = timeout
        self._urls: dict[uuid.UUID, str] = {}
        for org, url in orthanc_urls.items():
            try:
                self._urls[uuid.UUID(org)] = url
            except ValueError:
                raise ValueError("OHMS_ORTHANC_URLS keys must be organisation ids") from None
            orthanc_store(url, timeout).close()  # refuse a malformed URL at start-up
        self._stores: dict[uuid.UUID, DicomStore] = {}
        self._lock = threading.Lock()

    def assign_orthanc(self, organization_id: uuid.UUID, url_with_credentials: str) -> None:
        """Point an organisation at an Orthanc (deployment tooling and tests)."""
        with self._lock:
            self._urls[organization_id] = url_with_credentials
            old = self._stores.pop(organization_id, None)
        if isinstance(old, OrthancDicomStore):
            old.close()

    def of(self, organization_id: uuid.UUID) -> DicomStore:
        with self._lock:
            store = self._stores.get(organization_id)
            if store is None:
                url = self._urls.get(organization_id)
                store = (orthanc_store(url, self._timeout) if url is not None
                         else LocalFolderDicomStore(self._root / str(organization_id)))
                self._stores[organization_id] = store
            return store

    def check(self) -> None:
        """Readiness: every configured Orthanc answers (folder stores need no probe)."""
        for organization_id in list(self._urls):
            self.of(organization_id).ping()

    @property
    def has_orthancs(self) -> bool:
        return bool(self._urls)

    def close(self) -> None:
        with self._lock:
            stores, self._stores = list(self._stores.values()), {}
        for store in stores:
            if isinstance(store, OrthancDicomStore):
                store.close()
