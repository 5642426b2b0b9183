"""GET /console, /console/{page} and /console/assets/{name}: the console's pages and files.

Every link is relative (API Gateway serves the API under its stage, /Prod/console/...), and
every page is the same small shell (a header, the navigation, an empty <main>) naming its
page; assets/main.js loads that page's module, which fills <main> from the API. Nothing here
authenticates: the pages are public files, the data behind them is the API's to guard
(an admin page is hidden from others, and its routes answer them 403 anyway).
"""

from __future__ import annotations

from html import escape
from importlib.resources import files
from pathlib import PurePosixPath

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from switchboard.errors import NotFoundError

# (path segment, title), in the navigation's order; "login" is outside the navigation.
PAGES = (
    ("overview", "Overview"),
    ("keys", "API keys"),
    ("apps", "Apps"),
    ("models", "Models"),
    ("playground", "Playground"),
    ("jobs", "Jobs"),
    ("prompts", "Prompts"),
    ("traces", "Traces"),
    ("admin", "Admin"),
)
TITLES = dict(PAGES) | {"login": "Sign in"}
MEDIA_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Scripts and styles only from here (no inline script); media and images (a video and its
# thumbnail, through their signed URLs) may come from elsewhere over http(s).
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data: http: https:; media-src 'self' http: https:; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
ASSETS = files("switchboard.console") / "assets"


async def console_root(request: Request) -> Response:
    """To the overview, relatively: /Prod/console becomes /Prod/console/overview."""
    return RedirectResponse("console/overview", status_code=302)


async def console_page(request: Request) -> Response:
    page = request.path_params["page"]
    if page not in TITLES:
        raise NotFoundError(f"The console has no page '{page}'.", code="page_not_found")
    return Response(render_page(page), media_type="text/html; charset=utf-8",
                    headers=SECURITY_HEADERS | {"cache-control": "no-cache"})  # fmt: skip


async def console_asset(request: Request) -> Response:
    name = request.path_params["name"]
    suffix = PurePosixPath(name).suffix
    asset = ASSETS / name
    if suffix not in MEDIA_TYPES or "/" in name or name.startswith(".") or not asset.is_file():
        raise NotFoundError(f"The console has no file '{name}'.", code="asset_not_found")
    return Response(asset.read_bytes(), media_type=MEDIA_TYPES[suffix],
                    headers=SECURITY_HEADERS | {"cache-control": "no-cache"})  # fmt: skip


def render_page(page: str) -> str:
    """The shell of one page: its title, the navigation with this page marked, <main>."""
    links = "".join(_nav_link(slug, title, slug == page) for slug, title in PAGES)
    nav = "" if page == "login" else f'<nav aria-label="Console"><ul>{links}</ul></nav>'
    return SHELL.format(title=escape(TITLES[page]), page=escape(page), nav=nav)


def _nav_link(slug: str, title: str, current: bool) -> str:
    mark = ' aria-current="page"' if current else ""
    hidden = " hidden" if slug == "admin" else ""  # shown by main.js to admins
    return f'<li{hidden} data-nav="{slug}"><a href="{slug}"{mark}>{escape(title)}</a></li>'


SHELL = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Switchboard console</title>
<link rel="icon" href="assets/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="assets/console.css">
<script type="module" src="assets/main.js"></script>
</head>
<body data-page="{page}">
<a class="skip" href="#main">Skip to content</a>
<header>
<a class="brand" href="overview">Switchboard</a>
<div id="who" aria-live="polite"></div>
</header>
{nav}
<div id="alerts" role="alert" aria-live="assertive"></div>
<main id="main" tabindex="-1"><h1>{title}</h1><p class="muted">Loading…</p></main>
<noscript><p>The console needs JavaScript.</p></noscript>
</body>
</html>
"""

routes = [
    Route("/console", console_root, methods=["GET"]),
    Route("/console/{page}", console_page, methods=["GET"]),
    Route("/console/assets/{name}", console_asset, methods=["GET"]),
]
