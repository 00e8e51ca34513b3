"""A served OHMS with the demo data and the built portal, and headless Chromium to use it as
people do. Chromium is Debian's (`scripts/install_system_deps.sh`), driven by playwright."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from api.demo import DEMO_PASSWORD
from api.portal import CHECKOUT_BUILD
from scripts.services.ohms import ohms_serve
from tests.test_cli import Login, ohms_env, parse_logins, run_ohms

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "portal"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


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


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    assert (CHECKOUT_BUILD / "index.html").is_file(), \
        "the portal is not built: `make portal` (make test builds it first)"
    data_dir = tmp_path_factory.mktemp("portal-data")
    # Access-log batches close within a second (not a minute), so entries get anchored
    # while the tests run and the portal can verify them against the chain.
    env = ohms_env(data_dir) | {"OHMS_AUDIT_BATCH_MAX_SECONDS": "1"}
    for command in ("migrate", "seed-demo"):
        done = run_ohms(env, command)
        assert done.returncode == 0, done.stderr
        if command == "seed-demo":
            logins = {login.email: login for login in parse_logins(done.stdout)}
    with ohms_serve(env) as served:
        yield Demo(served.base_url, logins, data_dir)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no storage shared between tests); console errors and
    failed requests are collected and must stay empty."""
    context = browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors  # type: ignore[attr-defined]
    yield page
    context.close()


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
