"""Refusals and warnings before the HTTP API listens: an empty token, no token in public."""

from __future__ import annotations

from collections.abc import Mapping

import structlog

log = structlog.get_logger("tempograph.server")


class ConfigError(Exception):
    """The server refuses to start (exit code 2): the message says what to fix."""


def api_token(environ: Mapping[str, str]) -> str | None:
    """TEMPOGRAPH_API_TOKEN: unset means no authentication; set but empty is a mistake (a
    secret that failed to load), not a request to turn authentication off."""
    token = environ.get("TEMPOGRAPH_API_TOKEN")
    if token is None:
        return None
    if not token.strip():
        raise ConfigError(
            "TEMPOGRAPH_API_TOKEN is set but empty: refusing to start without authentication. "
            "Set a non-empty token, or unset the variable to serve without one."
        )
    return token


def check_exposure(host: str, token: str | None) -> None:
    """Log loudly when the API is reachable from other machines with no token."""
    from tempograph.http.serving import is_loopback  # the [http] extra; checked by the caller

    if token is None and not is_loopback(host):
        log.warning(
            "NO AUTHENTICATION on a non-loopback address: anyone who can reach "
            f"{host} can run, read and delete threads. Set TEMPOGRAPH_API_TOKEN.",
            host=host,
        )
