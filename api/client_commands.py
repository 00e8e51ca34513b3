"""`ohms client ...`: the record exchange's Python client on the command line, for patients
and institutions. Keys live in a passphrase-protected key file on the user's machine; the
service URL, access token, key file and passphrase come from options or OHMS_URL,
OHMS_TOKEN, OHMS_KEY_FILE and OHMS_KEY_PASSPHRASE (prompted for when unset)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import uuid
from pathlib import Path

from reencryption.client import KeyHolder
from reencryption.exchange_client import ExchangeClient, ExchangeError


def _passphrase(confirm: bool = False) -> str:
    given = os.environ.get("OHMS_KEY_PASSPHRASE")
    if given:
        return given
    first = getpass.getpass("key file passphrase: ")
    if confirm and getpass.getpass("again: ") != first:
        raise SystemExit("the passphrases differ")
    return first


def _client(args: argparse.Namespace) -> ExchangeClient:
    if not args.token:
        raise SystemExit("sign in first and pass --token or set OHMS_TOKEN")
    keys = KeyHolder.load(args.key_file, _passphrase())
    return ExchangeClient(args.url, args.token, keys)


def _print(document: object) -> None:
    print(json.dumps(document, indent=2, default=str))


def cmd_keygen(args: argparse.Namespace) -> int:
    path = Path(args.key_file)
    if path.exists():
        raise SystemExit(f"{path} exists; not overwriting keys")
    if args.wallet_key_env:
        holder = KeyHolder.from_wallet_private_key(os.environ[args.wallet_key_env])
    else:
        holder = KeyHolder.generate()
    holder.save(path, _passphrase(confirm=True))
    _print(holder.key_document())
    return 0


def cmd_publish_keys(args: argparse.Namespace) -> int:
    with _client(args) as client:
        _print(client.publish_organization_keys(args.organization) if args.organization
               else client.publish_keys())
    return 0


def cmd_upload(args: argparse.Namespace) -> int:
    resource = json.loads(Path(args.resource).read_text())
    with _client(args) as client:
        _print(client.update_record(args.replaces, resource) if args.replaces
               else client.upload_record(args.patient, resource))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with _client(args) as client:
        _print(client.list_records(args.patient, category=args.category,
                                   resource_type=args.type, purpose=args.purpose))
    return 0


def cmd_read(args: argparse.Namespace) -> int:
    with _client(args) as client:
        sys.stdout.buffer.write(client.read_record(args.record, purpose=args.purpose) + b"\n")
    return 0


def cmd_grant(args: argparse.Namespace) -> int:
    wallet = os.environ[args.wallet_key_env] if args.wallet_key_env else None
    with _client(args) as client:
        _print(client.grant(args.grantee, wallet_private_key=wallet, scope=args.scope,
                            purpose=args.purpose, days=args.days,
                            grantee_public_key=args.grantee_key))
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    wallet = os.environ[args.wallet_key_env] if args.wallet_key_env else None
    with _client(args) as client:
        _print(client.revoke(args.consent, wallet_private_key=wallet))
    return 0


def cmd_imaging_upload(args: argparse.Namespace) -> int:
    with _client(args) as client:
        _print(client.upload_study(args.patient, [Path(f) for f in args.files],
                                   upload_id=uuid.UUID(args.upload_id)
                                   if args.upload_id else None))
    return 0


def cmd_imaging_list(args: argparse.Namespace) -> int:
    with _client(args) as client:
        _print(client.study(args.study) if args.study else client.list_studies(args.patient))
    return 0


def cmd_imaging_pull(args: argparse.Namespace) -> int:
    """Decrypt a granted study here and import it into your own DICOM store, every
    instance checked against the manifest recorded at upload (all or nothing)."""
    from api.imaging.service import open_and_import
    from api.imaging.stores import orthanc_store
    from pacs_bridge import DicomStore, DicomStoreError, LocalFolderDicomStore
    from reencryption import ReencryptionError

    with _client(args) as client:
        if args.orthanc_env:
            url = os.environ.get(args.orthanc_env)
            if not url:
                raise SystemExit(f"{args.orthanc_env} is not set")
            store: DicomStore = orthanc_store(url, timeout=120.0)
        else:
            store = LocalFolderDicomStore(args.dicom_folder)
        try:
            with client.study_archive(args.study) as (envelope, encrypted):
                imported = open_and_import(client.keys, envelope, encrypted, store)
        except (ReencryptionError, DicomStoreError) as exc:
            print(f"not imported: {exc}", file=sys.stderr)
            return 1
        _print({"study_instance_uid": envelope["study_instance_uid"],
                "instances": len(imported), "bytes": sum(i.size for i in imported)})
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        result: int = args.client_func(args)
    except ExchangeError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    return result


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    client = sub.add_parser("client", help="the record exchange client (keys, grants, records)")
    client.add_argument("--url", default=os.environ.get("OHMS_URL", "http://127.0.0.1:8000"))
    client.add_argument("--token", default=os.environ.get("OHMS_TOKEN"))
    client.add_argument("--key-file", default=os.environ.get("OHMS_KEY_FILE", "ohms-keys.json"))
    client.set_defaults(func=run)
    commands = client.add_subparsers(dest="client_command", required=True)
    wallet_help = "name of an environment variable holding the wallet's private key"

    keygen = commands.add_parser("keygen", help="make Umbral keys and save them sealed")
    keygen.add_argument("--wallet-key-env", help=wallet_help + " (derive the keys from it)")
    keygen.set_defaults(client_func=cmd_keygen)

    publish = commands.add_parser("publish-keys", help="publish your public keys")
    publish.add_argument("--organization", help="publish them as this organisation's")
    publish.set_defaults(client_func=cmd_publish_keys)

    upload = commands.add_parser("upload", help="write a FHIR R4 resource (JSON file)")
    upload.add_argument("patient", help="the patient's UHID")
    upload.add_argument("resource", help="path of the resource's JSON")
    upload.add_argument("--replaces", help="record id this is a new version of")
    upload.set_defaults(client_func=cmd_upload)

    purposes = ["treatment", "claim", "research", "emergency"]
    listing = commands.add_parser("list", help="metadata of the records you may read")
    listing.add_argument("patient")
    listing.add_argument("--category")
    listing.add_argument("--type")
    listing.add_argument("--purpose", choices=purposes, default="treatment")
    listing.set_defaults(client_func=cmd_list)

    read = commands.add_parser("read", help="fetch a record and decrypt it here")
    read.add_argument("record")
    read.add_argument("--purpose", choices=purposes, default="treatment")
    read.set_defaults(client_func=cmd_read)

    grant = commands.add_parser("grant", help="grant access, with kfrags for the grantee")
    grant.add_argument("grantee", help="an organisation id or a person's UHID")
    grant.add_argument("--scope", required=True, help="category:<name> or record:<id>")
    grant.add_argument("--purpose", choices=purposes, default="treatment")
    grant.add_argument("--days", type=int, default=30)
    grant.add_argument("--grantee-key", help="the grantee's Umbral public key (hex); "
                       "default: the organisation's, from the directory")
    grant.add_argument("--wallet-key-env", help=wallet_help + " (default: custodial wallet)")
    grant.set_defaults(client_func=cmd_grant)

    revoke = commands.add_parser("revoke", help="revoke a grant (its kfrags are destroyed)")
    revoke.add_argument("consent")
    revoke.add_argument("--wallet-key-env", help=wallet_help)
    revoke.set_defaults(client_func=cmd_revoke)

    up = commands.add_parser("imaging-upload",
                             help="upload a DICOM study (files, or one ZIP) for a patient")
    up.add_argument("patient", help="the patient's UHID")
    up.add_argument("files", nargs="+", help="DICOM files of one study, or one ZIP")
    up.add_argument("--upload-id", help="a new UUID to follow the upload with")
    up.set_defaults(client_func=cmd_imaging_upload)

    studies = commands.add_parser("imaging-list", help="a patient's studies, or one study")
    studies.add_argument("patient", help="the patient's UHID")
    studies.add_argument("--study", help="show this study's series, instances and reports")
    studies.set_defaults(client_func=cmd_imaging_list)

    pull = commands.add_parser("imaging-pull",
                               help="decrypt a granted study here, import it into your PACS")
    pull.add_argument("study", help="the imaging study id")
    target = pull.add_mutually_exclusive_group(required=True)
    target.add_argument("--dicom-folder", help="a DICOM folder store (made if missing)")
    target.add_argument("--orthanc-env", metavar="VAR",
                        help="name of an environment variable holding your Orthanc's URL, "
                             "http://user:password@host:8042 (kept out of the command line)")
    pull.set_defaults(client_func=cmd_imaging_pull)
