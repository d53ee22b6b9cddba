"""One JSON error shape for the API, and one place where every error is converted.

    {"error": {"status": 422, "code": "invalid_input", "message": "...", "details": [...]}}

Pages get the same information as a small HTML page; a page request that needs sign-in is sent to
the sign-in page instead.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from joindots.errors import JoindotsError

log = logging.getLogger("joindots.web")

_CODES = {
    400: "bad_request",
    401: "not_signed_in",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_attempts",
    500: "internal_error",
}


class WebError(Exception):
    """An HTTP error raised by the web layer itself (sign-in, CSRF, authorisation)."""

    def __init__(self, status: int, message: str, code: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or _CODES.get(status, "error")
        self.headers = headers or {}


def error_body(status: int, message: str, code: str | None = None, details: Any = None) -> dict:
    body: dict[str, Any] = {"status": status, "code": code or _CODES.get(status, "error"), "message": message}
    if details is not None:
        body["details"] = details
    return {"error": body}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def respond(
    request: Request,
    status: int,
    message: str,
    code: str | None = None,
    details: Any = None,
    headers: dict | None = None,
) -> Response:
    if not wants_json(request) and status == 401:
        return RedirectResponse("/login", status_code=303)
    if wants_json(request):
        return JSONResponse(error_body(status, message, code, details), status_code=status, headers=headers)
    from joindots.web.pages.render import render  # the page as any other: menu and sign-out kept

    page = render(request, "error.html", status, status=status, message=message)
    page.headers.update(headers or {})
    return page


def _validation_details(exc: RequestValidationError) -> list[dict]:
    """Where and what, without echoing the submitted value (it may be personal data)."""
    return [
        {"loc": [str(p) for p in err.get("loc", ())], "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(WebError)
    async def _web_error(request: Request, exc: WebError) -> Response:
        return respond(request, exc.status, exc.message, exc.code, headers=exc.headers)

    @app.exception_handler(JoindotsError)
    async def _domain_error(request: Request, exc: JoindotsError) -> Response:
        return respond(request, exc.status_code, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return respond(request, 422, "the request is not valid", "invalid_input", _validation_details(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return respond(request, exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.scope.get("route_path", "?"))
        return respond(request, 500, "something went wrong; it has been logged")


class BodyLimit:
    """Refuse request bodies over `max_bytes` with the usual JSON error (413), declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.max_bytes:
            message = f"the request body is over {self.max_bytes // 1024} KB"
            await JSONResponse(error_body(413, message), status_code=413)(scope, receive, send)
            return
        await self.app(scope, self._counting(receive), send)

    def _counting(self, receive: Receive) -> Receive:
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise WebError(413, f"the request body is over {self.max_bytes // 1024} KB")
            return message

        return limited
