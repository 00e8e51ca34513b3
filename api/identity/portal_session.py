"""Portal sessions: the refresh token in an httpOnly cookie instead of the response body.

A browser page keeps its access token in memory only; the refresh token lives where no
script can read it: an httpOnly, SameSite=Strict cookie scoped to /api/v1/auth (Secure when
the service is reached over HTTPS). A request asks for this with the header
`X-OHMS-Session: cookie` on sign-in (`/auth/token`, `/auth/siwe/verify`), refresh and
logout. API clients that send no such header keep getting the refresh token in the body.

The refresh route acts on the cookie only when that header is present (a cross-site form
cannot set it, and a cross-site script cannot send it without a CORS preflight this service
never allows) and only from this origin (`Origin` and `Sec-Fetch-Site`, when the browser
sends them); SameSite=Strict keeps the cookie off cross-site requests in the first place.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request, Response

from api.errors import Forbidden, Unauthenticated

SESSION_HEADER = "X-OHMS-Session"
COOKIE_SESSION = "cookie"
REFRESH_COOKIE = "ohms_refresh"
COOKIE_PATH = "/api/v1/auth"
_SAME_SITE_FETCH = frozenset({"same-origin", "none"})


def wants_cookie(request: Request) -> bool:
    """The caller is the portal, asking for its refresh token as a cookie."""
    return request.headers.get(SESSION_HEADER, "").strip().lower() == COOKIE_SESSION


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_same_origin(request: Request, public_url: str) -> None:
    """Refuse a cookie-authenticated call made from another site."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site.lower() not in _SAME_SITE_FETCH:
        raise Forbidden("cross-site requests may not use the portal session")
    origin = request.headers.get("Origin")
    if origin is not None and origin.lower() not in {_origin(public_url),
                                                     _origin(str(request.base_url))}:
        raise Forbidden("requests from another origin may not use the portal session")


def cookie_refresh_token(request: Request, public_url: str) -> str:
    """The refresh token of the portal session; 401 when there is none."""
    if not wants_cookie(request):
        raise Unauthenticated("no refresh token was given")
    check_same_origin(request, public_url)
    token = request.cookies.get(REFRESH_COOKIE)
    if not token or len(token) > 512:
        raise Unauthenticated("there is no portal session; sign in")
    return token


def set_refresh_cookie(response: Response, request: Request, token: str, max_age: int) -> None:
    response.set_cookie(REFRESH_COOKIE, token, max_age=max_age, path=COOKIE_PATH,
                        httponly=True, samesite="strict", secure=_secure(request))


def clear_refresh_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(REFRESH_COOKIE, path=COOKIE_PATH, httponly=True,
                           samesite="strict", secure=_secure(request))


def cleared_cookie(request: Request) -> str:
    """The Set-Cookie header value that removes the session's cookie (for a refusal)."""
    response = Response()
    clear_refresh_cookie(response, request)
    return response.headers["set-cookie"]


def _secure(request: Request) -> bool:
    # Behind a TLS-terminating proxy, uvicorn's --proxy-headers makes the scheme https.
    return request.url.scheme == "https"
