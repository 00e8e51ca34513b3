"""The Python client of the record exchange over HTTP: what a patient or an institution runs
to publish its keys, upload records, sign grants that carry kfrags, and fetch and decrypt
records. Secret keys (Umbral and wallet) never leave this process; the service sees public
keys, ciphertexts, kfrags and signatures only.

    client = ExchangeClient("https://ohms.example", token, KeyHolder.load(path, passphrase))
    client.publish_keys()
    record = client.upload_record(uhid, {"resourceType": "Observation", ...})
    plaintext = client.read_record(record["id"])
    study = client.upload_study(uhid, [Path("slice-001.dcm"), ...])
    with client.study_archive(study["id"]) as (envelope, encrypted):
        for piece in client.keys.open_stream(envelope, encrypted): ...
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from chain import sign_typed_data
from reencryption.client import KeyHolder

API = "/api/v1"


class ExchangeError(Exception):
    """The service refused a request; `status` and `problem` (RFC 9457) say why."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(f"{status}: {problem.get('detail') or problem.get('title')}")
        self.status = status
        self.problem = problem


def _raise_for_problem(response: httpx.Response) -> None:
    if response.status_code >= 400:
        response.read()  # a streamed response's body is not read yet
        try:
            problem = response.json()
        except ValueError:
            problem = {"title": response.reason_phrase}
        raise ExchangeError(response.status_code, problem if isinstance(problem, dict) else {})


class ExchangeClient:
    """One signed-in party (a patient, or a member of an institution) and its Umbral keys.

    `http` may be any httpx.Client (a test's TestClient, a client with custom TLS); by
    default one is made for `base_url`.
    """

    def __init__(self, base_url: str, token: str, keys: KeyHolder, *,
                 http: httpx.Client | None = None, timeout: float = 30.0) -> None:
        self._http = http or httpx.Client(base_url=base_url, timeout=timeout)
        self._owns_http = http is None
        self._headers = {"Authorization": f"Bearer {token}"}
        self.keys = keys

    def _long_call(self, *, read: float | None) -> dict[str, Any]:
        """Timeouts for a call that may run for minutes (a study upload answers once the
        study is validated, stored, encrypted and filed). A client passed in by the caller
        keeps the caller's timeouts."""
        if not self._owns_http:
            return {}
        return {"timeout": httpx.Timeout(self._http.timeout.connect, read=read)}

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> ExchangeClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, API + path, headers=self._headers, **kwargs)
        _raise_for_problem(response)
        return response.json() if response.content else None

    # --- keys -------------------------------------------------------------------------

    def publish_keys(self) -> dict[str, str]:
        """Publish this person's public keys (`PUT /me/keys`)."""
        result: dict[str, str] = self._call("PUT", "/me/keys", json=self.keys.key_document())
        return result

    def publish_organization_keys(self, organization_id: str) -> dict[str, str]:
        """Publish an institution's public keys (its org_admin signs in for this)."""
        result: dict[str, str] = self._call("PUT", f"/organizations/{organization_id}/keys",
                                            json=self.keys.key_document())
        return result

    def organization_public_key(self, organization_id: str) -> str:
        """An institution's Umbral public key, from the directory."""
        offset, page = 0, 200
        while True:
            entries = self._call("GET", "/directory/organizations",
                                 params={"limit": page, "offset": offset})
            for entry in entries:
                if entry.get("id") == organization_id and entry.get("umbral_public_key"):
                    return str(entry["umbral_public_key"])
            if len(entries) < page:
                break
            offset += page
        raise ExchangeError(404, {"detail": "the organisation has published no Umbral key"})

    # --- records ----------------------------------------------------------------------

    def upload_record(self, patient_uhid: str, resource: dict[str, Any]) -> dict[str, Any]:
        """Write a FHIR R4 resource for a patient; the service encrypts it to the patient."""
        result: dict[str, Any] = self._call("POST", f"/patients/{patient_uhid}/records",
                                            json=resource)
        return result

    def update_record(self, record_id: str, resource: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._call("PUT", f"/records/{record_id}", json=resource)
        return result

    def list_records(self, patient_uhid: str, *, category: str | None = None,
                     resource_type: str | None = None,
                     purpose: str = "treatment") -> list[dict[str, Any]]:
        params = {k: v for k, v in {"category": category, "type": resource_type,
                                    "purpose": purpose}.items() if v}
        result: list[dict[str, Any]] = self._call("GET", f"/patients/{patient_uhid}/records",
                                                  params=params)
        return result

    def fetch_record(self, record_id: str, *, purpose: str = "treatment") -> dict[str, Any]:
        """The sealed record as the service returns it (ciphertext, capsule, cfrags)."""
        result: dict[str, Any] = self._call("GET", f"/records/{record_id}",
                                            params={"purpose": purpose})
        return result

    def read_record(self, record_id: str, *, purpose: str = "treatment") -> bytes:
        """Fetch a record and decrypt it here, after checking its CID and capsule fragments."""
        return self.keys.open_record(self.fetch_record(record_id, purpose=purpose))

    # --- grants -----------------------------------------------------------------------

    def grant(self, grantee: str, *, wallet_private_key: str | bytes | None,
              scope: str, purpose: str = "treatment", days: int = 30,
              grantee_public_key: str | None = None) -> dict[str, Any]:
        """A patient's grant to an organisation (id) or person (UHID), with kfrags for the
        grantee's Umbral key (looked up in the directory for an organisation when not
        given). Signed with the wallet key, or by the service's custodial wallet when
        `wallet_private_key` is None."""
        typed = self._call("POST", "/consents/typed-data", json={
            "grantee": grantee, "scope": scope, "purpose": purpose,
            "expires_at": (datetime.now(UTC) + timedelta(days=days)).isoformat()})
        receiving = grantee_public_key or self.organization_public_key(grantee)
        body: dict[str, Any] = {
            "typed_data": typed, "kfrags": self.keys.grant_kfrags(receiving),
            "verifying_key": self.keys.key_document()["verifying_key"]}
        if wallet_private_key is not None:
            body["signature"] = sign_typed_data(wallet_private_key, typed)
        result: dict[str, Any] = self._call("POST", "/consents", json=body)
        return result

    def revoke(self, consent_id: str, *,
               wallet_private_key: str | bytes | None) -> dict[str, Any]:
        """Revoke a grant; the service destroys its kfrags at once."""
        body: dict[str, Any] = {}
        if wallet_private_key is not None:
            typed = self._call("POST", f"/consents/{consent_id}/revocation/typed-data")
            body = {"typed_data": typed,
                    "signature": sign_typed_data(wallet_private_key, typed)}
        result: dict[str, Any] = self._call("POST", f"/consents/{consent_id}/revocation",
                                            json=body)
        return result

    # --- imaging ----------------------------------------------------------------------

    def upload_study(self, patient_uhid: str, files: Sequence[Path], *,
                     upload_id: uuid.UUID | None = None) -> dict[str, Any]:
        """Upload a study (DICOM files, or one ZIP), streamed from disk; follow it with
        `upload_status(upload_id)` from another thread meanwhile."""
        with ExitStack() as stack:
            parts = [("files", (path.name, stack.enter_context(path.open("rb")),
                                "application/zip" if path.suffix.lower() == ".zip"
                                else "application/dicom")) for path in files]
            result: dict[str, Any] = self._call(
                "POST", f"/patients/{patient_uhid}/imaging/studies", files=parts,
                params={"upload_id": str(upload_id or uuid.uuid4())},
                **self._long_call(read=None))
        return result

    def upload_status(self, upload_id: uuid.UUID | str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/imaging/uploads/{upload_id}")
        return result

    def list_studies(self, patient_uhid: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call(
            "GET", f"/patients/{patient_uhid}/imaging/studies")
        return result

    def study(self, study_id: str) -> dict[str, Any]:
        """A study's series, instances and reports."""
        result: dict[str, Any] = self._call("GET", f"/imaging/studies/{study_id}")
        return result

    @contextmanager
    def study_archive(self, study_id: str) -> Iterator[tuple[dict[str, Any], Iterator[bytes]]]:
        """The study's archive envelope (its data key sealed for you, the manifest) and its
        encrypted content as a stream of pieces; open them with `keys.open_stream` or
        `api.imaging.service.open_and_import`."""
        envelope: dict[str, Any] = self._call("GET", f"/imaging/studies/{study_id}/archive")
        # The content's path is built here, never taken from the response, so the token
        # only ever goes to this service.
        with self._http.stream("GET", f"{API}/imaging/studies/{study_id}/archive/content",
                               headers=self._headers, **self._long_call(read=300.0)) as response:
            _raise_for_problem(response)
            yield envelope, response.iter_bytes()
