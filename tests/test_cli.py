"""The two-command promise, end to end: the real `ohms` command in subprocesses, no mocks.

`ohms migrate` and `ohms seed-demo` prepare a data directory, `ohms serve` serves it, and a
restart on the same directory keeps every account; a token works as soon as sign-in
returns; `ohms create-admin` makes a system administrator and refuses a weak password.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.demo import DEMO_PASSWORD, ORGANIZATIONS
from pacs_bridge import LocalFolderDicomStore
from scripts.services.ohms import ohms_serve

OHMS = Path(sys.executable).parent / "ohms"
ROLES = {
    "patient", "physician", "nurse", "lab_technician", "radiologist", "pharmacist",
    "drug_vendor", "helpdesk", "org_admin", "insurer", "auditor", "platform_auditor",
    "system_admin",
}
LOGIN_LINE = re.compile(r"^\s+(?P<role>[a-z_]+)\s+(?P<email>\S+@\S+)\s+UHID (?P<uhid>\d+)\b",
                        re.MULTILINE)
STARTUP_TIMEOUT = 60.0
COMMAND_TIMEOUT = 120.0


@dataclass(frozen=True)
class Login:
    role: str
    email: str
    uhid: str


@dataclass(frozen=True)
class SeededDir:
    """A data directory after `migrate` and two `seed-demo` runs, with what each run printed."""

    data_dir: Path
    env: dict[str, str]
    first: list[Login]
    second: list[Login]


def ohms_env(data_dir: Path) -> dict[str, str]:
    """The caller's environment without any OHMS_* setting, pointed at `data_dir`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OHMS_")}
    env.update({
        "OHMS_DATA_DIR": str(data_dir),
        # Cheap argon2 keeps this file fast; bench_auth measures the production cost.
        "OHMS_ARGON2_TIME_COST": "1",
        "OHMS_ARGON2_MEMORY_KIB": "1024",
        "OHMS_ARGON2_PARALLELISM": "1",
        "OHMS_LOG_LEVEL": "WARNING",
    })
    return env


def run_ohms(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    # cwd is the data directory so that no developer's .env in the checkout leaks in.
    return subprocess.run([str(OHMS), *args], env=env, cwd=env["OHMS_DATA_DIR"],
                          capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False)


def parse_logins(output: str) -> list[Login]:
    return [Login(m["role"], m["email"], m["uhid"]) for m in LOGIN_LINE.finditer(output)]


@contextmanager
def serving(env: dict[str, str], *options: str) -> Iterator[httpx.Client]:
    """`ohms serve [options]` on a free loopback port until ready; SIGTERM and reap it on
    exit."""
    with serving_process(env, *options) as (client, _):
        yield client


@contextmanager
def serving_process(env: dict[str, str],
                    *options: str) -> Iterator[tuple[httpx.Client, subprocess.Popen[bytes]]]:
    """`serving`, with the server's process; asserts that it stopped cleanly on SIGTERM."""
    with ohms_serve(env, *options, startup_timeout=STARTUP_TIMEOUT) as served, \
            httpx.Client(base_url=served.base_url, timeout=10.0) as client:
        yield client, served.process
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it: -SIGTERM is a clean stop.
    assert not served.killed and served.process.returncode in (0, -signal.SIGTERM), (
        f"ohms serve did not stop on SIGTERM ({served.process.returncode}):\n"
        + served.log_tail())


def sign_in(client: httpx.Client, username: str, password: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"].lower() == "bearer"
    return {"Authorization": f"Bearer {body['access_token']}"}


def me(client: httpx.Client, headers: dict[str, str]) -> dict[str, object]:
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 200, r.text
    result: dict[str, object] = r.json()
    return result


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> SeededDir:
    data_dir = tmp_path_factory.mktemp("ohms-data")
    env = ohms_env(data_dir)
    migrated = run_ohms(env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    first = run_ohms(env, "seed-demo")
    assert first.returncode == 0, first.stderr
    second = run_ohms(env, "seed-demo")
    assert second.returncode == 0, second.stderr
    return SeededDir(data_dir, env, parse_logins(first.stdout), parse_logins(second.stdout))


def test_seed_demo_prints_a_login_for_every_role(seeded: SeededDir) -> None:
    assert {login.role for login in seeded.first} == ROLES
    for login in seeded.first:
        assert re.fullmatch(r"\d{14}", login.uhid), login
    emails = [login.email for login in seeded.first]
    uhids = [login.uhid for login in seeded.first]
    assert len(set(emails)) == len(emails) and len(set(uhids)) == len(uhids)


def test_seed_demo_again_changes_nothing(seeded: SeededDir) -> None:
    assert seeded.second == seeded.first


def test_serve_keeps_accounts_across_a_restart(seeded: SeededDir) -> None:
    physician = next(x for x in seeded.first if x.role == "physician")
    newcomer = {"email": "newcomer@example.org", "password": "Quiet-Lantern-Harbor-42",
                "full_name": "Nora Newcomer", "date_of_birth": "1990-02-03"}

    with serving(seeded.env) as client:
        profile = me(client, sign_in(client, physician.email, DEMO_PASSWORD))
        assert profile["uhid"] == physician.uhid and profile["email"] == physician.email
        assert "physician" in profile["roles"]  # type: ignore[operator]
        assert profile["organization"] is not None

        # Two seed-demo runs made each demo organisation once.
        admin = next(x for x in seeded.first if x.role == "system_admin")
        organizations = client.get("/api/v1/organizations",
                                   headers=sign_in(client, admin.email, DEMO_PASSWORD)).json()
        names = [o["name"] for o in organizations]
        assert len(names) == len(ORGANIZATIONS) == len(set(names))

        r = client.post("/api/v1/auth/register", json=newcomer)
        assert r.status_code == 201, r.text
        registered = r.json()
        assert re.fullmatch(r"\d{14}", registered["uhid"])

    with serving(seeded.env) as client:
        again = me(client, sign_in(client, newcomer["email"], newcomer["password"]))
        assert again["uhid"] == registered["uhid"] and again["id"] == registered["id"]
        # The UHID is a username too.
        by_uhid = me(client, sign_in(client, registered["uhid"], newcomer["password"]))
        assert by_uhid["email"] == newcomer["email"]
        for login in seeded.first:
            assert me(client, sign_in(client, login.email, DEMO_PASSWORD))["uhid"] == login.uhid
        r = client.post("/api/v1/auth/register", json=newcomer)
        assert r.status_code == 409


def test_a_token_works_as_soon_as_sign_in_returns(seeded: SeededDir) -> None:
    patient = next(x for x in seeded.first if x.role == "patient")
    with serving(seeded.env) as client:
        statuses = []
        for _ in range(20):
            headers = sign_in(client, patient.email, DEMO_PASSWORD)
            statuses.append(client.get("/api/v1/me", headers=headers).status_code)
    # A client may use its token at once: the sign-in must be committed before it answers.
    assert statuses == [200] * len(statuses)


def test_create_admin_refuses_weak_passwords_then_makes_a_system_admin(
        seeded: SeededDir) -> None:
    email = "ops@example.org"
    for weak, reason in (("short-1", "at least 10 characters"),
                         ("password123456", "too weak")):
        refused = run_ohms({**seeded.env, "OHMS_ADMIN_PASSWORD": weak}, "create-admin", email)
        assert refused.returncode != 0
        assert refused.stderr.startswith("error: ") and reason in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr and "created" not in refused.stdout

    # The refusals created nothing: the same email is still free.
    password = "Amber-Compass-Orchard-77"
    made = run_ohms({**seeded.env, "OHMS_ADMIN_PASSWORD": password}, "create-admin", email)
    assert made.returncode == 0, made.stderr
    uhid = re.search(r"UHID (\d{14})", made.stdout)
    assert uhid, made.stdout

    with serving(seeded.env) as client:
        profile = me(client, sign_in(client, email, password))
        assert profile["roles"] == ["system_admin"] and profile["uhid"] == uhid[1]
        assert client.get("/api/v1/organizations",
                          headers=sign_in(client, uhid[1], password)).status_code == 200


def test_demo_data_holds_a_shared_ct_study_with_its_report(seeded: SeededDir) -> None:
    patient = next(x for x in seeded.first if x.role == "patient")
    with serving(seeded.env) as client:
        mine = sign_in(client, patient.email, DEMO_PASSWORD)
        studies = client.get(f"/api/v1/patients/{patient.uhid}/imaging/studies", headers=mine)
        assert studies.status_code == 200, studies.text
        assert len(studies.json()) == 1  # seeded twice, filed once
        study = studies.json()[0]
        assert study["modalities"] == ["CT"] and study["instance_count"] == 12
        detail = client.get(f"/api/v1/imaging/studies/{study['id']}", headers=mine).json()
        assert len(detail["reports"]) == 1
        sop = detail["series"][0]["instances"][0]
        radiologist = sign_in(client, "radiologist@radiology.demo", DEMO_PASSWORD)
        png = client.get(f"/api/v1/imaging/studies/{study['id']}/instances/{sop}/preview.png",
                         headers=radiologist)
        assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
        # The hospital holds the patient's grant for all categories: it sees the study.
        physician = sign_in(client, "physician@hospital.demo", DEMO_PASSWORD)
        listed = client.get(f"/api/v1/patients/{patient.uhid}/imaging/studies",
                            headers=physician).json()
        assert [s["id"] for s in listed] == [study["id"]]

        # The patient's own client decrypts the study on their side and imports it into a
        # DICOM folder, checked against the manifest (`ohms client imaging-pull`).
        env = {**seeded.env, "OHMS_URL": str(client.base_url),
               "OHMS_TOKEN": mine["Authorization"].removeprefix("Bearer "),
               "OHMS_KEY_FILE": str(seeded.data_dir / "demo-keys" / "patient.json"),
               "OHMS_KEY_PASSPHRASE": DEMO_PASSWORD}
        listing = run_ohms(env, "client", "imaging-list", patient.uhid)
        assert listing.returncode == 0, listing.stderr
        assert [s["id"] for s in json.loads(listing.stdout)] == [study["id"]]
        folder = seeded.data_dir / "patient-pacs"
        pulled = run_ohms(env, "client", "imaging-pull", study["id"], "--dicom-folder",
                          str(folder))
        assert pulled.returncode == 0, pulled.stderr
        assert json.loads(pulled.stdout)["instances"] == 12
        assert len(LocalFolderDicomStore(folder).list_studies(patient.uhid)) == 1
        # Someone else's keys open nothing; the refusal is on stderr, nothing imported.
        other = {**env, "OHMS_KEY_FILE": str(seeded.data_dir / "demo-keys" / "lab.json")}
        refused = run_ohms(other, "client", "imaging-pull", study["id"], "--dicom-folder",
                           str(seeded.data_dir / "other-pacs"))
        assert refused.returncode == 1 and "not imported" in refused.stderr
        assert not LocalFolderDicomStore(seeded.data_dir / "other-pacs").list_studies(
            patient.uhid)
