"""The app factory. Nothing happens at import: `create_app()` builds everything from settings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from joindots.settings import Settings, get_settings
from joindots.store.db import engine_for
from joindots.web.access import STATIC_PREFIX
from joindots.web.api import aggregates, audit, core, matches, people, reports
from joindots.web.deps import authorise
from joindots.web.errors import BodyLimit, install_error_handlers
from joindots.web.pages import analysis, audit_pages, auth_pages, people_pages, report_pages
from joindots.web.state import HERE, build_state

# Cytoscape.js injects one fixed <style> rule for its container; that exact text (and nothing
# else inline) is allowed by its hash. Scripts: our own files only, never inline.
CYTOSCAPE_STYLE_HASH = "'sha256-pgvDUBa4IjFA2yuSJ2cqcyxmNYJMborsd0ORcRv9vw8='"
CSP = (
    f"default-src 'self'; script-src 'self'; style-src 'self' {CYTOSCAPE_STYLE_HASH}; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
MAX_BODY_BYTES = 256 * 1024  # the largest report is ~60 KB of text; anything bigger is refused (413)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Every response gets the headers; anything but static files is never cached (personal data)."""
    response = await call_next(request)
    response.headers.update(SECURITY_HEADERS)
    if not request.url.path.startswith(STATIC_PREFIX):
        response.headers["Cache-Control"] = "no-store"
    return response


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """The web app for `settings` (the environment's by default) on `engine` (from the settings)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="joindots",
        summary="Joins agencies' records to find group-based child sexual exploitation. Every access is logged.",
        version="0.1.0",
        docs_url=None,  # Swagger UI would fetch its JavaScript from a CDN; the spec is at /openapi.json
        redoc_url=None,
        dependencies=[Depends(authorise)],
    )
    app.state.web = build_state(settings, engine or engine_for(settings.database_url))
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    app.middleware("http")(security_headers)  # added last, so outermost: every answer gets the headers
    for module in (core, people, matches, reports, audit, aggregates):
        app.include_router(module.router)
    for page in (auth_pages, people_pages, analysis, report_pages, audit_pages):
        app.include_router(page.router, include_in_schema=False)
    app.mount(STATIC_PREFIX, StaticFiles(directory=str(HERE / "static")), name="static")
    return app
