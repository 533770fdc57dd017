"""The API token: `Authorization: Bearer <token>` or `x-api-key: <token>` on every request but
the health check, compared in constant time; otherwise 401."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

# Paths anyone may call even when an API token is set (health checks).
OPEN_PATHS = frozenset({"/ok"})
# The approvals inbox checks the same token itself: a browser signs in once and then sends a
# session cookie (tempograph/http/inbox/_session.py) instead of a header.
INBOX_PATH = "/inbox"
# The codec server checks the same token itself, so that its 401 carries the CORS headers the
# Temporal UI's browser needs to read it, and a CORS preflight (never authenticated) passes.
CODEC_PATH = "/codec"


def check_token(api_token: str | None) -> None:
    """An empty token would mean no authentication at all: refused, with the fix."""
    if api_token is not None and not api_token.strip():
        raise ValueError(
            "The API token is empty: set a non-empty token (TEMPOGRAPH_API_TOKEN), or none at "
            "all to serve without authentication"
        )


def token_matches(expected: str, authorization: str | None, api_key: str | None) -> bool:
    """`Authorization: Bearer <token>` or `x-api-key: <token>`, compared in constant time."""
    given: list[str] = []
    if api_key:
        given.append(api_key)
    if authorization and authorization.lower().startswith("bearer "):
        given.append(authorization[7:].strip())
    return any(hmac.compare_digest(g.encode(), expected.encode()) for g in given)


def install_token_check(app: FastAPI, api_token: str | None) -> None:
    """Require `api_token` on every request outside OPEN_PATHS (nothing when it is None)."""

    @app.middleware("http")
    async def authenticate(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        authorized = not api_token or token_matches(
            api_token, request.headers.get("authorization"), request.headers.get("x-api-key")
        )
        path = request.url.path
        inbox = path == INBOX_PATH or path.startswith(INBOX_PATH + "/")
        codec = path.startswith(CODEC_PATH + "/")
        if not authorized and path not in OPEN_PATHS and not inbox and not codec:
            return JSONResponse(
                {"detail": "Missing or invalid API key"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return await call_next(request)
