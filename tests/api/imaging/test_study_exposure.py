"""Issue 10 for imaging: a study is not told to exist to a caller with no basis to know it
(the same 404 as an unknown study), and the studies list comes in pages."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from api.audit.models import AccessLogEntry
from pacs_bridge.synthetic import ct_study
from tests.api.imaging.conftest import Imaging, upload
from tests.api.records.conftest import PROBLEM, keyed_patient, treatment_grant

REPORT = {"resourceType": "DiagnosticReport", "status": "final", "code": {"text": "CT"}}


def _without_instance(problem: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in problem.items() if k != "instance"}


def test_unrelated_organisations_cannot_tell_a_study_exists(imaging: Imaging) -> None:
    ohms = imaging.ohms
    centre = imaging.site("radiology", "radiologist", orthanc=0)
    patient, _ = keyed_patient(ohms)
    uhid = patient.user.uhid
    treatment_grant(ohms, patient, centre.org_id, scope="category:imaging")
    r = upload(ohms, centre.staff["radiologist"], uhid,
               [(f"{n}.dcm", d) for n, d in enumerate(ct_study(uhid, 1, series=1))])
    assert r.status_code == 201, r.text
    existing, unknown = r.json()["id"], str(uuid.uuid4())
    outsider = imaging.site("hospital", "physician", custodial=True)
    elsewhere = imaging.site("radiology", "radiologist")
    physician, radiologist = outsider.staff["physician"], elsewhere.staff["radiologist"]

    def ask(study_id: str) -> list[Any]:
        base = f"/api/v1/imaging/studies/{study_id}"
        return [
            ohms.client.get(base, headers=physician.headers),
            ohms.client.get(f"{base}/archive", headers=physician.headers),
            ohms.client.get(f"{base}/archive/content", headers=physician.headers),
            ohms.client.get(f"{base}/instances/1.2.3/preview.png", headers=physician.headers),
            ohms.client.get(f"{base}/deidentified.zip", headers=physician.headers),
            ohms.client.post(f"{base}/pull", headers=physician.headers),
            ohms.client.post(f"{base}/reports", headers=radiologist.headers, json=REPORT),
        ]

    for known, random in zip(ask(existing), ask(unknown), strict=True):
        assert known.status_code == random.status_code == 404, (known.url, known.text)
        assert known.headers["content-type"] == random.headers["content-type"] == PROBLEM
        assert _without_instance(known.json()) == _without_instance(random.json())
    # Each refusal about the existing study is still in the patient's access log.
    with ohms.db() as s:
        denied = s.scalars(select(AccessLogEntry.action).where(
            AccessLogEntry.patient_uhid == uhid, AccessLogEntry.outcome == "denied",
            AccessLogEntry.accessor_uhid.in_([physician.uhid, radiologist.uhid]))).all()
    assert sorted(denied) == sorted(["read", "pull", "download", "preview", "deidentified",
                                     "pull", "write"])


def test_the_studies_list_comes_in_pages(imaging: Imaging) -> None:
    ohms = imaging.ohms
    centre = imaging.site("radiology", "radiologist", orthanc=0)
    patient, _ = keyed_patient(ohms)
    uhid = patient.user.uhid
    treatment_grant(ohms, patient, centre.org_id, scope="category:imaging")
    for _ in range(3):
        r = upload(ohms, centre.staff["radiologist"], uhid,
                   [("0.dcm", ct_study(uhid, 1, series=1)[0])])
        assert r.status_code == 201, r.text
    url = f"/api/v1/patients/{uhid}/imaging/studies"
    for params in ({"limit": 201}, {"limit": 0}, {"offset": -1}, {"offset": 1_000_001}):
        refused = ohms.client.get(url, params=params, headers=patient.user.headers)
        assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM
    everything = ohms.client.get(url, headers=patient.user.headers).json()
    assert len(everything) == 3
    pages = [ohms.client.get(url, params={"limit": 2, "offset": offset},
                             headers=patient.user.headers).json() for offset in (0, 2)]
    assert [len(p) for p in pages] == [2, 1]
    assert [s["id"] for s in pages[0] + pages[1]] == [s["id"] for s in everything]
    # The uploader's staff, seeing the studies they made, page the same way.
    theirs = ohms.client.get(url, params={"limit": 2, "offset": 2},
                             headers=centre.staff["radiologist"].headers)
    assert [s["id"] for s in theirs.json()] == [everything[2]["id"]]
