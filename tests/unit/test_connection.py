"""tempograph.connection without a server: TOML profiles, the TEMPORAL_* variables, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.service import TLSConfig

from tempograph.connection import (
    ConnectionConfigError,
    configured_address,
    connect_config,
    describe,
)

TOML = """
[profile.default]
address = "default.example:7233"

[profile.cloud]
address = "ns.acct.tmprl.cloud:7233"
namespace = "ns.acct"
[profile.cloud.tls]
client_cert_path = "{cert}"
client_key_path = "{key}"
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    cert, key, ca = tmp_path / "c.pem", tmp_path / "k.pem", tmp_path / "ca.pem"
    cert.write_bytes(b"CERT")
    key.write_bytes(b"KEY")
    ca.write_bytes(b"CA")
    config = tmp_path / "temporal.toml"
    config.write_text(TOML.format(cert=cert, key=key))
    return {"cert": str(cert), "key": str(key), "ca": str(ca), "config": str(config)}


def test_nothing_set_is_a_local_dev_server(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path)}  # no default config file there
    assert connect_config(environ=env) == {"target_host": "localhost:7233"}
    assert configured_address(environ=env) is None
    assert connect_config("127.0.0.1:9999", environ=env)["target_host"] == "127.0.0.1:9999"


def test_the_variables_the_temporal_cli_reads(files: dict[str, str], tmp_path: Path) -> None:
    env = {
        "HOME": str(tmp_path),
        "TEMPORAL_ADDRESS": "temporal.internal:7233",
        "TEMPORAL_NAMESPACE": "prod",
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH": files["ca"],
        "TEMPORAL_TLS_SERVER_NAME": "temporal.internal",
        "TEMPORAL_TLS_CLIENT_CERT_PATH": files["cert"],
        "TEMPORAL_TLS_CLIENT_KEY_PATH": files["key"],
        "TEMPORAL_GRPC_META_X_TEAM": "graphs",
    }
    config = connect_config(environ=env)
    assert config["target_host"] == "temporal.internal:7233" and config["namespace"] == "prod"
    tls = config["tls"]
    assert isinstance(tls, TLSConfig)
    assert (tls.domain, tls.server_root_ca_cert) == ("temporal.internal", b"CA")
    assert (tls.client_cert, tls.client_private_key) == (b"CERT", b"KEY")
    assert config["rpc_metadata"] == {"x-team": "graphs"}
    assert configured_address(environ=env) == "temporal.internal:7233"
    assert describe(config) == {
        "address": "temporal.internal:7233",
        "namespace": "prod",
        "tls": True,
        "mtls": True,
        "api_key": False,
    }


def test_an_api_key_turns_tls_on_and_stays_out_of_logs(tmp_path: Path) -> None:
    env = {
        "HOME": str(tmp_path),
        "TEMPORAL_ADDRESS": "us-east-1.aws.api.temporal.io:7233",
        "TEMPORAL_NAMESPACE": "ns.acct",
        "TEMPORAL_API_KEY": "secret-api-key",
    }
    config = connect_config(environ=env)
    assert config["api_key"] == "secret-api-key" and config["tls"] is True
    shown = describe(config)
    assert shown["api_key"] is True and "secret-api-key" not in str(shown)


def test_profiles_from_a_toml_file(files: dict[str, str]) -> None:
    env = {"TEMPORAL_CONFIG_FILE": files["config"]}
    assert connect_config(environ=env)["target_host"] == "default.example:7233"
    cloud = connect_config(environ={**env, "TEMPORAL_PROFILE": "cloud"})
    assert cloud["namespace"] == "ns.acct" and cloud["tls"].client_cert == b"CERT"
    assert connect_config(profile="cloud", environ=env)["namespace"] == "ns.acct"
    # The environment wins over the file.
    override = {**env, "TEMPORAL_PROFILE": "cloud", "TEMPORAL_NAMESPACE": "other"}
    assert connect_config(environ=override)["namespace"] == "other"
    assert configured_address(environ=env) == "default.example:7233"


@pytest.mark.parametrize(
    ("env", "match"),
    [
        ({"TEMPORAL_CONFIG_FILE": "/nonexistent/temporal.toml"}, "no such file"),
        ({"TEMPORAL_PROFILE": "nope"}, "Profile 'nope' not found"),
        ({"TEMPORAL_TLS_CLIENT_CERT_PATH": "{cert}"}, "TEMPORAL_TLS_CLIENT_KEY_PATH is not"),
        ({"TEMPORAL_TLS_CLIENT_KEY_PATH": "{key}"}, "TEMPORAL_TLS_CLIENT_CERT_PATH is not"),
        ({"TEMPORAL_TLS_SERVER_CA_CERT_PATH": "/nonexistent/ca.pem"}, "does not exist"),
        ({"TEMPORAL_TLS_DISABLE_HOST_VERIFICATION": "true"}, "TEMPORAL_TLS_SERVER_NAME"),
    ],
)
def test_refusals(env: dict[str, str], match: str, files: dict[str, str]) -> None:
    filled = {k: v.format(**files) for k, v in env.items()}
    if "TEMPORAL_PROFILE" in filled:
        filled["TEMPORAL_CONFIG_FILE"] = files["config"]
    with pytest.raises(ConnectionConfigError, match=match):
        connect_config(environ={"HOME": "/nonexistent", **filled})
