"""``/docs``: Swagger UI on the merged API document, served whole by the gateway.

The page loads nothing from elsewhere: Swagger UI's bundle and stylesheet come from the
``fastapi-offline`` package (Swagger UI 5, which reads OpenAPI 3.1; ``swagger-ui-bundle``
on PyPI still ships Swagger UI 4, which refuses a 3.1 document), and the script that starts
it is :file:`docs_assets/swagger-init.js`, all under ``/docs/assets/``. So the reference
works offline, and the page's Content-Security-Policy (:mod:`gateway.edge`) can allow
scripts and styles from the gateway only.
"""

from __future__ import annotations

import html
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter
from starlette.responses import FileResponse, HTMLResponse, Response

from kit.errors import NotFound

ASSETS_PATH = "/docs/assets"

_SWAGGER = Path(fastapi_offline.__file__).parent / "static"
_OWN = Path(__file__).parent / "docs_assets"

# Served by name only: nothing else on disk is reachable through /docs/assets.
ASSETS: dict[str, tuple[Path, str]] = {
    "swagger-ui-bundle.js": (_SWAGGER / "swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": (_SWAGGER / "swagger-ui.css", "text/css"),
    "favicon.png": (_SWAGGER / "favicon.png", "image/png"),
    "swagger-init.js": (_OWN / "swagger-init.js", "text/javascript"),
}

# The assets change only with the installed package: a day in the browser's cache, and
# revalidated by their ETag (FileResponse's) after that.
_ASSET_CACHE = "public, max-age=86400"


def swagger_page(title: str, openapi_url: str = "/openapi.json") -> HTMLResponse:
    """The Swagger UI page for the document at ``openapi_url``."""
    name = html.escape(title)
    return HTMLResponse(
        f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{name}</title>
<link rel="icon" type="image/png" href="{ASSETS_PATH}/favicon.png">
<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{html.escape(openapi_url)}"></div>
<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="{ASSETS_PATH}/swagger-init.js"></script>
</body>
</html>
"""
    )


def assets_router() -> APIRouter:
    router = APIRouter()

    @router.get(ASSETS_PATH + "/{name}", include_in_schema=False)
    async def asset(name: str) -> Response:
        found = ASSETS.get(name)
        if found is None:
            raise NotFound(f"no documentation asset {name!r}")
        path, media_type = found
        return FileResponse(path, media_type=media_type, headers={"Cache-Control": _ASSET_CACHE})

    return router
