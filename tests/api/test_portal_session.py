"""Portal sessions: the refresh token lives in an httpOnly, SameSite=Strict cookie scoped to
/api/v1/auth, never in a response body, and the refresh route uses it only for same-origin
requests that say so (`X-OHMS-Session: cookie`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.conftest import PASSWORD, Ohms, User

PORTAL = {"X-OHMS-Session": "cookie"}


@pytest.fixture
def portal(ohms: Ohms) -> Iterator[Ohms]:
    """The app's client as a browser tab: it keeps cookies, which are cleared afterwards."""
    ohms.client.cookies.clear()
    yield ohms
    ohms.client.cookies.clear()


def portal_sign_in(ohms: Ohms, user: User) -> str:
    r = ohms.client.post("/api/v1/auth/token", headers=PORTAL,
                         data={"username": user.email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    assert r.json()["refresh_token"] is None  # not readable by any script
    token: str = r.json()["access_token"]
    return token


def set_cookie(r) -> str:  # type: ignore[no-untyped-def]
    cookie: str = r.headers["set-cookie"]
    return cookie


def test_sign_in_sets_an_httponly_strict_cookie_for_the_auth_routes_only(portal: Ohms) -> None:
    p = portal.register_patient()
    r = portal.client.post("/api/v1/auth/token", headers=PORTAL,
                           data={"username": p.email, "password": PASSWORD})
    assert r.status_code == 200
    cookie = set_cookie(r).lower()
    assert cookie.startswith("ohms_refresh=")
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert "path=/api/v1/auth" in cookie
    assert "secure" not in cookie  # served over plain http here; https gets Secure
    assert f"max-age={portal.container.settings.refresh_token_ttl_seconds}" in cookie
    # An API client that does not ask for a cookie gets the token in the body, no cookie.
    plain = portal.login(p.email, PASSWORD)
    assert plain.json()["refresh_token"] and "set-cookie" not in plain.headers


def test_the_cookie_refreshes_once_and_rotates(portal: Ohms) -> None:
    p = portal.register_patient()
    portal_sign_in(portal, p)
    first = portal.client.cookies.get("ohms_refresh")
    r = portal.client.post("/api/v1/auth/refresh", headers=PORTAL)
    assert r.status_code == 200, r.text
    assert r.json()["refresh_token"] is None
    me = portal.client.get("/api/v1/me",
                           headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert me.json()["uhid"] == p.uhid
    second = portal.client.cookies.get("ohms_refresh")
    assert second and second != first
    # The spent cookie, replayed, ends the whole session and is removed.
    portal.client.cookies.set("ohms_refresh", first or "", path="/api/v1/auth")
    replay = portal.client.post("/api/v1/auth/refresh", headers=PORTAL)
    assert replay.status_code == 401
    assert "ohms_refresh=\"\"" in set_cookie(replay) or "max-age=0" in set_cookie(replay).lower()
    portal.client.cookies.set("ohms_refresh", second, path="/api/v1/auth")
    assert portal.client.post("/api/v1/auth/refresh", headers=PORTAL).status_code == 401


def test_the_refresh_route_refuses_cross_site_use_of_the_cookie(portal: Ohms) -> None:
    p = portal.register_patient()
    portal_sign_in(portal, p)
    # Without the header (a cross-site form post can't add one) the cookie is not used.
    bare = portal.client.post("/api/v1/auth/refresh")
    assert bare.status_code == 401, bare.text
    assert bare.headers["content-type"] == "application/problem+json"
    for headers in ({"Origin": "https://evil.example"},
                    {"Sec-Fetch-Site": "cross-site"},
                    {"Sec-Fetch-Site": "same-site"}):
        r = portal.client.post("/api/v1/auth/refresh", headers=PORTAL | headers)
        assert r.status_code == 403, (headers, r.text)
    # None of that spent the token: the portal's own request still works.
    ok = portal.client.post("/api/v1/auth/refresh",
                            headers=PORTAL | {"Origin": "http://testserver",
                                              "Sec-Fetch-Site": "same-origin"})
    assert ok.status_code == 200, ok.text


def test_no_cookie_is_401_and_logout_removes_it(portal: Ohms) -> None:
    none = portal.client.post("/api/v1/auth/refresh", headers=PORTAL)
    assert none.status_code == 401
    p = portal.register_patient()
    access = portal_sign_in(portal, p)
    out = portal.client.post("/api/v1/auth/logout",
                             headers=PORTAL | {"Authorization": f"Bearer {access}"})
    assert out.status_code == 204
    assert "max-age=0" in set_cookie(out).lower()
    assert portal.client.cookies.get("ohms_refresh") is None
    assert portal.client.post("/api/v1/auth/refresh", headers=PORTAL).status_code == 401


def test_a_body_token_still_works_for_api_clients_and_bad_bodies_are_422(portal: Ohms) -> None:
    p = portal.register_patient()
    r = portal.client.post("/api/v1/auth/refresh", json={"refresh_token": p.refresh})
    assert r.status_code == 200 and r.json()["refresh_token"]
    bad = portal.client.post("/api/v1/auth/refresh", json={"refresh_token": ""})
    assert bad.status_code == 422
