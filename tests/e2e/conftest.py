"""A served OHMS with the demo data and the built portal, and headless Chromium to use it as
people do. Chromium is Debian's (`scripts/install_system_deps.sh`), driven by playwright."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from api.demo import DEMO_PASSWORD
from api.portal import CHECKOUT_BUILD
from scripts.services.hardhat import ChainNode
from scripts.services.ohms import ohms_serve
from scripts.services.smtp import SmtpServer
from tests.conftest import DatabaseServer
from tests.test_cli import Login, ohms_env, parse_logins, run_ohms

# Assertions wait up to 15 s (Playwright's default is 5): on a loaded 2-core machine a key
# derivation or a page of decryptions in the browser can take seconds.
expect.set_options(timeout=15_000)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"  # git-ignored
AXE = CHECKOUT_BUILD.parent / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A browser test that fails runs once more (pytest-rerunfailures prints each rerun, so a
    flaky one shows up): headless Chromium on a loaded 2-core machine has timed out now and
    then where nothing was wrong. A test that fails twice fails the run."""
    here = Path(__file__).resolve().parent
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(here):
            item.add_marker(pytest.mark.flaky(reruns=1))


@dataclass(frozen=True)
class Demo:
    base_url: str
    logins: dict[str, Login]  # by email
    data_dir: Path
    password: str = DEMO_PASSWORD

    @property
    def wallet_file(self) -> Path:
        """The demo patient's wallet (a keystore file, as a wallet app exports it)."""
        return self.data_dir / "demo-keys" / "patient-wallet.json"

    def by_role(self, role: str) -> Login:
        return next(login for login in self.logins.values() if login.role == role)


def _portal_build() -> Path:
    # OHMS_PORTAL_DIR: another build of the portal (a developer's, say); the checkout's else.
    build = Path(os.environ.get("OHMS_PORTAL_DIR") or CHECKOUT_BUILD)
    assert (build / "index.html").is_file(), \
        "the portal is not built: `make portal` (make test builds it first)"
    return build


def _demo_env(data_dir: Path, build: Path) -> dict[str, str]:
    # Access-log batches close within a second (not a minute), so entries get anchored
    # while the tests run and the portal can verify them against the chain.
    return ohms_env(data_dir) | {"OHMS_AUDIT_BATCH_MAX_SECONDS": "1",
                                 "OHMS_PORTAL_DIR": str(build)}


@pytest.fixture(scope="session")
def demo_install(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Login]]:
    """A data directory after `ohms migrate` and `ohms seed-demo`, made once per test
    process, and the logins the seeding printed. Each module serves a copy of it: the same
    as a fresh install seeded and restarted (the directory holds no absolute path; the
    commands themselves are tested in tests/test_cli.py)."""
    data_dir = tmp_path_factory.mktemp("portal-install")
    env = _demo_env(data_dir, _portal_build())
    logins: dict[str, Login] = {}
    for command in ("migrate", "seed-demo"):
        done = run_ohms(env, command)
        assert done.returncode == 0, done.stderr
        if command == "seed-demo":
            logins = {login.email: login for login in parse_logins(done.stdout)}
    return data_dir, logins


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory,
         demo_install: tuple[Path, dict[str, Login]]) -> Iterator[Demo]:
    """The demo install served for one module, on its own copy of the data."""
    installed, logins = demo_install
    data_dir = tmp_path_factory.mktemp("portal-data")
    shutil.copytree(installed, data_dir, dirs_exist_ok=True)
    with ohms_serve(_demo_env(data_dir, _portal_build())) as served:
        yield Demo(served.base_url, logins, data_dir)


@dataclass(frozen=True)
class RealDemo(Demo):
    """The demo served on the real backends: its own PostgreSQL database, the session's
    Hardhat node (with an operator account of its own), IPFS node and SMTP server."""

    mail: SmtpServer | None = None


@pytest.fixture(scope="module")
def real_demo(tmp_path_factory: pytest.TempPathFactory, postgres_server: DatabaseServer,
              chain_node: ChainNode, ipfs_api: str, mail_server: SmtpServer
              ) -> Iterator[RealDemo]:
    from tests.api.conftest import funded_operator_key

    build = _portal_build()
    data_dir = tmp_path_factory.mktemp("portal-real-data")
    database_url = postgres_server.create()
    env = ohms_env(data_dir) | {
        "OHMS_AUDIT_BATCH_MAX_SECONDS": "1",
        "OHMS_PORTAL_DIR": str(build),
        "OHMS_DATABASE_URL": database_url,
        "OHMS_CHAIN_RPC_URL": chain_node.rpc_url,
        "OHMS_CHAIN_PRIVATE_KEY": funded_operator_key(chain_node),
        "OHMS_IPFS_API": ipfs_api,
        "OHMS_SMTP_URL": mail_server.url,
        "OHMS_WORKER_POLL_SECONDS": "0.2",
    }
    try:
        for command in ("migrate", "seed-demo"):
            done = run_ohms(env, command)
            assert done.returncode == 0, done.stderr
            if command == "seed-demo":
                logins = {login.email: login for login in parse_logins(done.stdout)}
        with ohms_serve(env) as served:
            yield RealDemo(served.base_url, logins, data_dir, mail=mail_server)
    finally:
        postgres_server.drop(database_url)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Console:
    """What the page said on its console: errors fail the test, unless the test said which
    failed responses it provoked (a wrong password answers 401, and Chromium logs it)."""

    errors: list[str] = field(default_factory=list)
    expected: list[re.Pattern[str]] = field(default_factory=list)

    def expect_failed_response(self, status: int) -> None:
        self.expected.append(re.compile(
            rf"Failed to load resource: the server responded with a status of {status}\b"))

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.expected)]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no storage shared between tests). Any console error or
    uncaught exception fails the test, except failed responses the test declared with
    `console(page).expect_failed_response(status)`."""
    context = browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    page = context.new_page()
    watch = Console()
    page.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: watch.errors.append(f"uncaught: {e}"))
    page.console = watch  # type: ignore[attr-defined]
    page.errors = watch.errors  # type: ignore[attr-defined]
    yield page
    context.close()
    assert watch.unexpected() == [], "the browser's console had errors"


def console(page: Page) -> Console:
    found: Console = page.console  # type: ignore[attr-defined]
    return found


def check_accessibility(page: Page) -> None:
    """axe-core on the screen as it is now; fails on serious or critical violations. axe
    is evaluated through the DevTools protocol, so the portal's CSP stays on."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    found: list[str] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => `${v.id} (${v.impact}): ${v.help} at `
                      + v.nodes.map(n => n.target.join(' ')).join(', '))""")
    assert found == [], found


def screenshots(page: Page, name: str) -> list[Path]:
    """The screen at 1280x800 and at 390x844 (a phone), full page, under tests/e2e/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size or DESKTOP
    taken = []
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)  # type: ignore[arg-type]
        path = SCREENSHOTS / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)
    page.set_viewport_size(before)  # type: ignore[arg-type]
    return taken

