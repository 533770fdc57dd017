"""Browser sessions of the inbox: an HttpOnly, SameSite=Strict cookie signed with a key derived
from the API token (a new token ends every session), and a CSRF token tied to the session.

Without an API token the inbox is open, as the API is; it still hands out an (anonymous)
session so that its forms carry a CSRF token: a page on another site must not be able to answer
for the person whose browser can reach the server."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from fastapi import Request, Response

from tempograph.http.auth import token_matches

COOKIE = "tempograph_inbox"
COOKIE_PATH = "/inbox"
SESSION_SECONDS = 12 * 3600


@dataclass(frozen=True)
class Session:
    sid: str
    expires: int
    csrf: str


class Sessions:
    """Issue and check session cookies and CSRF tokens for one app (one API token or none)."""

    def __init__(self, api_token: str | None) -> None:
        self.token = api_token
        # With a token: sessions survive a restart and die with the token. Without: per process.
        seed = api_token.encode() if api_token else secrets.token_bytes(32)
        self._key = hmac.new(seed, b"tempograph inbox session v1", hashlib.sha256).digest()

    @property
    def needs_login(self) -> bool:
        return self.token is not None

    def _sign(self, text: str) -> str:
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()

    def _session(self, sid: str, expires: int) -> Session:
        return Session(sid, expires, self._sign(f"csrf.{sid}")[:40])

    def new(self) -> tuple[Session, str]:
        """A fresh session and its cookie value."""
        sid, expires = secrets.token_urlsafe(18), int(time.time()) + SESSION_SECONDS
        body = f"{sid}.{expires}"
        return self._session(sid, expires), f"{body}.{self._sign(body)}"

    def from_request(self, request: Request) -> Session | None:
        """The request's valid, unexpired session, if any."""
        value = request.cookies.get(COOKIE, "")
        parts = value.split(".")
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        sid, expires, sig = parts
        if not hmac.compare_digest(sig.encode(), self._sign(f"{sid}.{expires}").encode()):
            return None
        if int(expires) < time.time():
            return None
        return self._session(sid, int(expires))

    def bearer(self, request: Request) -> bool:
        """The API's own credentials (Authorization / x-api-key), for scripts and curl."""
        return self.token is not None and token_matches(
            self.token, request.headers.get("authorization"), request.headers.get("x-api-key")
        )

    def login(self, given: str) -> bool:
        """The token typed into the login form, compared in constant time."""
        return self.token is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def csrf_ok(self, session: Session | None, given: str) -> bool:
        return session is not None and hmac.compare_digest(given.encode(), session.csrf.encode())


def set_cookie(response: Response, request: Request, value: str) -> None:
    response.set_cookie(
        COOKIE,
        value,
        max_age=SESSION_SECONDS,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def clear_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
