"""Imaging throughput: upload (validate, store, ZIP, encrypt to the patient, store the blob)
and transfer (decrypt via re-encryption, import verified against the manifest) of a
200-instance CT study, against a plain store-to-store copy of the same study measured in the
same run; and the peak RSS of the upload path (measured in a child process).

It drives the same pacs_bridge/reencryption/storage calls as api.imaging.service, without
HTTP and the database. Embedded (folder stores) by default; --start-orthanc runs it between
two Orthanc servers started here. The last line is one JSON object.

    .venv/bin/python scripts/bench_imaging.py [--instances 200] [--start-orthanc]
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MiB = 1024 * 1024


def _stores(args: argparse.Namespace, stack: ExitStack, root: Path) -> list:  # type: ignore[type-arg]
    from pacs_bridge import LocalFolderDicomStore, OrthancDicomStore

    if not args.orthanc_urls and not args.start_orthanc:
        return [LocalFolderDicomStore(root / name) for name in ("a", "b", "c")]
    from scripts.services.orthanc import OrthancEndpoint, orthanc_server

    if args.orthanc_urls:
        endpoints = [OrthancEndpoint.from_url(u) for u in args.orthanc_urls.split(",")]
    else:
        endpoints = [stack.enter_context(orthanc_server()).endpoint for _ in range(2)]
    stores = [stack.enter_context(OrthancDicomStore(e.url, username=e.username,
                                                    password=e.password, timeout=120))
              for e in endpoints[:2]]
    # The plain copy goes to the second server too (deleted in between).
    return [stores[0], stores[1], stores[1]]


def _rows(ct_study, patient: str, count: int) -> list[bytes]:  # type: ignore[no-untyped-def]
    import numpy as np  # noqa: F401 - ct_study needs numpy
    from pydicom.uid import generate_uid

    from tests.pacs_bridge.conftest import ct_instance

    study, series = generate_uid(), generate_uid()
    return [ct_instance(patient, study_uid=study, series_uid=series, instance_number=i + 1,
                        rows=256, columns=256) for i in range(count)]


def upload_pipeline(store: Any, files: list[Path], patient: str, blob_root: Path,
                    recipient_pk: Any) -> Any:
    """What api.imaging.service.upload_study does with the bytes."""
    from pacs_bridge import UploadedFile, UploadLimits, upload_files
    from pacs_bridge.store import write_instances_zip
    from reencryption import encrypt_for
    from storage import LocalBlobStore

    handles = [f.open("rb") for f in files]
    try:
        result = upload_files(store, [UploadedFile(f.name, h) for f, h in zip(files, handles,
                                                                              strict=True)],
                              expected_patient_id=patient,
                              limits=UploadLimits(max_upload_bytes=4 * 1024 * MiB))
    finally:
        for h in handles:
            h.close()
    manifest = next(iter(result.manifests.values()))
    with tempfile.SpooledTemporaryFile(max_size=8 * MiB) as spool:
        write_instances_zip(((f"{e.sop_instance_uid}.dcm", store.get_instance(e.sop_instance_uid))
                             for e in manifest.entries), spool)  # type: ignore[arg-type]
        spool.seek(0)
        archive = spool.read()
    encrypted = encrypt_for(recipient_pk, archive)
    del archive
    cid = LocalBlobStore(blob_root, max_blob_bytes=8 * 1024 * MiB).put(encrypted.ciphertext)
    return manifest, encrypted, cid


def child_upload(args: argparse.Namespace) -> None:
    """Run only the upload path and report its peak RSS (the child's own maxrss)."""
    from pacs_bridge import LocalFolderDicomStore
    from reencryption.client import KeyHolder

    folder = Path(args.child_upload)
    files = sorted((folder / "files").iterdir())
    patient = args.patient
    holder = KeyHolder.generate()
    pk = holder._keys.encrypting_secret.public_key()
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    store = LocalFolderDicomStore(folder / "child-store")
    upload_pipeline(store, files, patient, folder / "child-blobs", pk)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_rss_mib": peak / 1024, "baseline_rss_mib": baseline / 1024}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=200)
    parser.add_argument("--start-orthanc", action="store_true",
                        help="start two Orthanc servers and measure between them")
    parser.add_argument("--orthanc-urls", default="",
                        help="two running Orthancs: http://user:pass@host:port,http://...")
    parser.add_argument("--child-upload", help=argparse.SUPPRESS)
    parser.add_argument("--patient", default="UHID-BENCH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_upload:
        child_upload(args)
        return

    from pacs_bridge import StudyManifest, import_study_archive
    from reencryption.client import KeyHolder
    from storage import LocalBlobStore
    from tests.pacs_bridge.conftest import ct_study

    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ohms-bench-")))
        patient = f"UHID-BENCH{int(time.time())}"
        instances = _rows(ct_study, patient, args.instances)
        size = sum(len(d) for d in instances)
        (root / "files").mkdir()
        files = []
        for n, data in enumerate(instances):
            path = root / "files" / f"{n:05d}.dcm"
            path.write_bytes(data)
            files.append(path)
        print(f"study: {len(instances)} instances, {size / MiB:.1f} MiB")
        store_a, store_b, store_c = _stores(args, stack, root)

        patient_keys, hospital_keys = KeyHolder.generate(), KeyHolder.generate()
        patient_pk = patient_keys._keys.encrypting_secret.public_key()
        t0 = time.perf_counter()
        manifest, encrypted, cid = upload_pipeline(store_a, files, patient, root / "blobs",
                                                   patient_pk)
        upload_s = time.perf_counter() - t0

        hospital_pk = hospital_keys.key_document()["umbral_public_key"]
        kfrags = patient_keys.grant_kfrags(hospital_pk)
        import base64

        from reencryption import reencrypt, verify_kfrags
        from reencryption.keys import cfrag_to_base64, public_key_from_hex
        t0 = time.perf_counter()
        ciphertext = LocalBlobStore(root / "blobs", max_blob_bytes=8 * 1024 * MiB).get(cid)
        verified = verify_kfrags(
            [base64.b64decode(k) for k in kfrags],
            verifying_key=public_key_from_hex(patient_keys.key_document()["verifying_key"]),
            delegating_key=patient_pk, receiving_key=public_key_from_hex(hospital_pk))
        cfrags = [cfrag_to_base64(c) for c in reencrypt(bytes(encrypted.capsule), verified)]
        document = {"ciphertext": base64.b64encode(ciphertext).decode(),
                    "capsule": base64.b64encode(bytes(encrypted.capsule)).decode(),
                    "delegating_key": patient_keys.key_document()["umbral_public_key"],
                    "cfrags": cfrags,
                    "verifying_key": patient_keys.key_document()["verifying_key"]}
        plaintext = hospital_keys.open_record(document)
        import_study_archive(store_b, io.BytesIO(plaintext),
                             StudyManifest.from_json(manifest.to_json()),
                             expected_patient_id=patient)
        transfer_s = time.perf_counter() - t0
        del plaintext, document, ciphertext

        if store_c is store_b:
            store_b.delete_study(manifest.study_instance_uid)
        t0 = time.perf_counter()
        for _, data in store_a.export_study(manifest.study_instance_uid):
            store_c.store_instance(data)
        copy_s = time.perf_counter() - t0

        child = subprocess.run(
            [sys.executable, __file__, "--child-upload", str(root), "--patient", patient],
            check=True, capture_output=True, text=True)
        rss = json.loads(child.stdout.strip().splitlines()[-1])

    backend = "orthanc" if (args.start_orthanc or args.orthanc_urls) else "folder"
    print(f"backend: {backend}")
    print(f"upload:   {upload_s:.2f} s  {size / MiB / upload_s:.1f} MiB/s")
    print(f"transfer: {transfer_s:.2f} s  {size / MiB / transfer_s:.1f} MiB/s")
    print(f"plain {backend}-to-{backend} copy: {copy_s:.2f} s  {size / MiB / copy_s:.1f} MiB/s")
    print(f"transfer / plain copy: {copy_s / transfer_s:.2f}x the copy's throughput")
    print(f"upload peak RSS: {rss['peak_rss_mib']:.0f} MiB "
          f"(process baseline {rss['baseline_rss_mib']:.0f} MiB)")
    print(json.dumps({"upload_mib_s": round(size / MiB / upload_s, 2),
                      "transfer_mib_s": round(size / MiB / transfer_s, 2),
                      "orthanc_copy_mib_s": round(size / MiB / copy_s, 2),
                      "upload_peak_rss_mib": round(rss["peak_rss_mib"], 1)}))


if __name__ == "__main__":
    main()
