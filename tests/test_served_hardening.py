"""What an attacker meets on a served `ohms serve` process (a real subprocess, not in-process):
deeply nested bodies are refused and the process lives on, every response carries the
security headers and no server banner, the API docs load nothing from outside, and what the
service writes is private to its user."""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.test_cli import ohms_env, run_ohms, serving

# The review's request: 200 KB, under the 1 MiB body limit.
DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, Path]]:
    data_dir = tmp_path_factory.mktemp("ohms-served")
    env = ohms_env(data_dir)
    migrated = run_ohms(env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    with serving(env) as client:
        yield client, data_dir


@pytest.mark.parametrize("path", ["/api/v1/auth/refresh", "/api/v1/chain/rpc",
                                  "/api/v1/auth/register", "/api/v1/consents"])
@pytest.mark.parametrize("content_type", ["application/json", None])
def test_deeply_nested_json_is_refused_and_the_process_lives_on(
    served: tuple[httpx.Client, Path], path: str, content_type: str | None,
) -> None:
    client, _ = served
    headers = {"Content-Type": content_type} if content_type else {}
    r = client.post(path, content=DEEP, headers=headers)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "nests deeper than" in r.json()["detail"]
    assert client.get("/healthz").status_code == 200


def test_nesting_inside_strings_does_not_count(served: tuple[httpx.Client, Path]) -> None:
    client, _ = served
    # A refresh token made of brackets is just a wrong token.
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": "[" * 500})
    assert r.status_code == 401, r.text


def test_every_response_carries_security_headers_and_no_banner(
    served: tuple[httpx.Client, Path],
) -> None:
    client, _ = served
    for response in (client.get("/healthz"), client.get("/api/v1/me"),
                     client.post("/api/v1/auth/refresh", content=DEEP),
                     client.get("/no/such/route")):
        h = response.headers
        assert "server" not in h, h.get("server")
        assert "default-src 'none'" in h["content-security-policy"]
        assert "frame-ancestors 'none'" in h["content-security-policy"]
        assert h["x-content-type-options"] == "nosniff"
        assert h["x-frame-options"] == "DENY"
        assert h["referrer-policy"] == "no-referrer"
        assert h["cache-control"] == "no-store"


def test_token_responses_are_not_stored(served: tuple[httpx.Client, Path]) -> None:
    client, _ = served
    r = client.post("/api/v1/auth/register", json={
        "email": "nostore@example.org", "password": "a long and unusual passphrase 42",
        "full_name": "No Store", "date_of_birth": "1990-01-01"})
    assert r.status_code == 201, r.text
    r = client.post("/api/v1/auth/token", data={
        "username": "nostore@example.org", "password": "a long and unusual passphrase 42"})
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"


def test_api_docs_load_nothing_from_outside(served: tuple[httpx.Client, Path]) -> None:
    client, _ = served
    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources, page.text
    for source in sources:
        assert source.startswith("/"), f"/docs loads {source} from another origin"
        assert client.get(source).status_code == 200, source
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_data_directory_and_files_are_private(served: tuple[httpx.Client, Path]) -> None:
    _, data_dir = served
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    database = data_dir / "ohms.sqlite3"
    assert stat.S_IMODE(database.stat().st_mode) & 0o077 == 0
    for path in data_dir.rglob("*"):
        if path.is_file() and not path.name.startswith("serve-"):  # the test's own log
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
