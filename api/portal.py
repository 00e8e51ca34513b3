"""The clinic portal's built files (clinic_portal/dist), served at / beside the API.

`index.html` is never cached (a new build is picked up at once); the files under /assets/
carry a content hash in their names, so browsers keep them for a year."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

CHECKOUT_BUILD = Path(__file__).resolve().parents[1] / "clinic_portal" / "dist"
PAGES = ("/", "/index.html")
ASSETS = "/assets/"


class PortalFiles(StaticFiles):
    """The portal's hashed assets, cached for a year."""

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result,
                      scope: Scope, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def portal_build(configured: Path | None) -> Path | None:
    """The build to serve: the configured folder, else the checkout's when it was built."""
    folder = configured or CHECKOUT_BUILD
    return folder if (folder / "index.html").is_file() else None


def mount_portal(app: FastAPI, build: Path) -> None:
    """Serve `build`: its page at / and its assets under /assets/; nothing else, so the
    API's paths keep their own answers (404 and 405 problems)."""
    page = build / "index.html"

    async def index() -> FileResponse:
        return FileResponse(page, media_type="text/html")

    for path in PAGES:
        app.add_api_route(path, index, methods=["GET"], include_in_schema=False)
    app.mount(ASSETS.rstrip("/"), PortalFiles(directory=build / "assets"), name="portal")


def portal_headers() -> dict[str, Any]:
    """SecurityHeaders' arguments for the portal's pages and assets."""
    return {"portal_pages": PAGES, "portal_prefix": ASSETS}
