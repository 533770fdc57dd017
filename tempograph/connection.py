"""Where a Temporal client connects, read the way the `temporal` CLI reads it: one helper for
every entry point (GraphClient's `tempograph.connect`, the CLI commands, worker.py, server.py).

Sources, later ones winning (temporalio.envconfig, the SDKs' shared rules):
  1. a TOML profile: the file TEMPORAL_CONFIG_FILE names, else the default one
     (~/.config/temporalio/temporal.toml on Linux); profile TEMPORAL_PROFILE, else "default";
  2. the environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS
     (true/false), TEMPORAL_TLS_SERVER_CA_CERT_PATH / _DATA, TEMPORAL_TLS_CLIENT_CERT_PATH /
     _DATA, TEMPORAL_TLS_CLIENT_KEY_PATH / _DATA, TEMPORAL_TLS_SERVER_NAME,
     TEMPORAL_GRPC_META_<NAME>;
  3. an address passed by the caller (`connect("host:port")`).

An API key turns TLS on (Temporal Cloud's API keys need it); a client certificate and key give
mTLS. Refused before connecting, each with what to fix: a TEMPORAL_CONFIG_FILE that does not
exist, an unknown profile, a certificate without its key (or the reverse), an unreadable
certificate file, and TEMPORAL_TLS_DISABLE_HOST_VERIFICATION (the Python SDK cannot skip host
verification: set TEMPORAL_TLS_SERVER_NAME to the name in the server's certificate instead).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from temporalio.envconfig import ClientConfigProfile, ClientConfigTLS
from temporalio.service import TLSConfig

__all__ = [
    "DEFAULT_ADDRESS",
    "ConnectionConfigError",
    "configured_address",
    "connect_config",
    "describe",
    "load_profile",
]

DEFAULT_ADDRESS = "localhost:7233"


class ConnectionConfigError(ValueError):
    """The Temporal connection settings are wrong: the message says which and how to fix."""


def load_profile(
    profile: str | None = None, *, environ: Mapping[str, str] | None = None
) -> ClientConfigProfile:
    """The connection profile from the TOML file and the environment (module docstring)."""
    env = dict(os.environ if environ is None else environ)
    config_file = env.get("TEMPORAL_CONFIG_FILE")
    if config_file and not Path(config_file).is_file():
        # envconfig would silently fall back to no file: a typo would connect elsewhere.
        raise ConnectionConfigError(f"TEMPORAL_CONFIG_FILE={config_file}: no such file")
    if env.get("TEMPORAL_TLS_DISABLE_HOST_VERIFICATION", "").strip().lower() in ("1", "true"):
        raise ConnectionConfigError(
            "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION is not supported by the Python SDK: set "
            "TEMPORAL_TLS_SERVER_NAME to the name in the server's certificate (and "
            "TEMPORAL_TLS_SERVER_CA_CERT_PATH to its CA) instead"
        )
    try:
        return ClientConfigProfile.load(profile=profile, override_env_vars=env)
    except RuntimeError as exc:  # the core's ConfigError: unknown profile, bad TOML
        raise ConnectionConfigError(f"Temporal connection profile: {exc}") from None


def _check_tls(tls: ClientConfigTLS | None) -> None:
    if tls is None:
        return
    if (tls.client_cert is None) != (tls.client_private_key is None):
        given, missing = (
            ("TEMPORAL_TLS_CLIENT_CERT_PATH", "TEMPORAL_TLS_CLIENT_KEY_PATH")
            if tls.client_cert is not None
            else ("TEMPORAL_TLS_CLIENT_KEY_PATH", "TEMPORAL_TLS_CLIENT_CERT_PATH")
        )
        raise ConnectionConfigError(
            f"mTLS needs a client certificate and its key: {given} (or its profile or _DATA "
            f"form) is set, {missing} is not"
        )
    for what, source in (
        ("server CA certificate (TEMPORAL_TLS_SERVER_CA_CERT_PATH)", tls.server_root_ca_cert),
        ("client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH)", tls.client_cert),
        ("client key (TEMPORAL_TLS_CLIENT_KEY_PATH)", tls.client_private_key),
    ):
        if isinstance(source, Path) and not source.is_file():
            raise ConnectionConfigError(f"The {what} {source} does not exist")


def connect_config(
    address: str | None = None,
    *,
    profile: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Keyword arguments for `temporalio.client.Client.connect` (target_host, namespace,
    api_key, tls, rpc_metadata), from the profile and the environment; `address` overrides
    theirs; none at all means localhost:7233."""
    loaded = load_profile(profile, environ=environ)
    _check_tls(loaded.tls)
    try:
        config: dict[str, Any] = dict(loaded.to_client_connect_config())
    except OSError as exc:
        raise ConnectionConfigError(f"Cannot read a TLS file: {exc}") from None
    if address:
        config["target_host"] = address
    config.setdefault("target_host", DEFAULT_ADDRESS)
    return config


def configured_address(
    *, profile: str | None = None, environ: Mapping[str, str] | None = None
) -> str | None:
    """The address TEMPORAL_ADDRESS or the profile names, None when neither does (the CLI then
    uses, or starts, a local dev server)."""
    return load_profile(profile, environ=environ).address or None


def describe(config: Mapping[str, Any]) -> dict[str, Any]:
    """What a log line may say about a connection: no key, no certificate."""
    tls = config.get("tls")
    return {
        "address": config.get("target_host"),
        "namespace": config.get("namespace", "default"),
        "tls": bool(tls),
        "mtls": isinstance(tls, TLSConfig) and tls.client_cert is not None,
        "api_key": bool(config.get("api_key")),
    }
