"""Connections over TLS and mTLS, configured only by the TEMPORAL_TLS_* variables the `temporal`
CLI reads, for every entry point: `tempograph.connect` (GraphClient, workers), `tempograph
worker` (worker.py) and the thread commands.

`temporal server start-dev` has no TLS flags, so the test puts an in-process TLS-terminating
proxy in front of the session's dev server: a CA, a server certificate for `temporal.test` and a
client certificate, all generated here; the proxy speaks HTTP/2 (ALPN h2, as gRPC needs),
requires a client certificate signed by the CA (mTLS) and records the client's subject."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import json
import os
import re
import signal
import ssl
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tempograph import GraphClient, connect, create_worker
from tempograph.devserver import DevServer
from tempograph.errors import TemporalUnavailableError
from tests.integration.test_dev_command import cli, tempograph_command
from tests.sample_graphs import build_ask

SERVER_NAME = "temporal.test"
CLIENT_NAME = "tempograph-worker"
GRAPH_MODULE = """
from tests.sample_graphs import build_ask

graph = build_ask()
"""


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@dataclass
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def make_pki(folder: Path) -> Pki:
    """A self-signed CA, a server certificate (temporal.test, 127.0.0.1) and a client one."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Tempograph Test CA"))
        .issuer_name(_name("Tempograph Test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )

    def leaf(name: str, usage: x509.ObjectIdentifier, sans: list[x509.GeneralName]) -> Path:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
            )
        )
        if sans:
            cert = cert.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        signed = cert.sign(ca_key, hashes.SHA256())
        (folder / f"{name}.pem").write_bytes(signed.public_bytes(serialization.Encoding.PEM))
        _write_key(folder / f"{name}.key", key)
        return folder / f"{name}.pem"

    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    server = leaf(
        SERVER_NAME,
        ExtendedKeyUsageOID.SERVER_AUTH,
        [x509.DNSName(SERVER_NAME), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
    )
    client = leaf(CLIENT_NAME, ExtendedKeyUsageOID.CLIENT_AUTH, [])
    return Pki(
        ca=folder / "ca.pem",
        server_cert=server,
        server_key=server.with_suffix(".key"),
        client_cert=client,
        client_key=client.with_suffix(".key"),
    )


@dataclass
class TlsProxy:
    address: str
    # The common name of each client certificate presented, per accepted connection.
    clients: list[str] = field(default_factory=list)


@contextlib.asynccontextmanager
async def tls_proxy(upstream: str, pki: Pki, *, mtls: bool = True) -> AsyncIterator[TlsProxy]:
    """TLS (ALPN h2; mTLS unless `mtls` is False) on a free local port, forwarding the
    decrypted bytes to `upstream`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki.server_cert, pki.server_key)
    context.load_verify_locations(pki.ca)
    context.verify_mode = ssl.CERT_REQUIRED if mtls else ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    host, port = upstream.rsplit(":", 1)
    proxy = TlsProxy(address="")
    tasks: set[asyncio.Task[None]] = set()

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        cert = writer.get_extra_info("peercert") or {}
        subject = dict(pair[0] for pair in cert.get("subject", ()))
        proxy.clients.append(subject.get("commonName", ""))
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        both = [
            asyncio.create_task(pipe(reader, up_writer)),
            asyncio.create_task(pipe(up_reader, writer)),
        ]
        tasks.update(both)
        await asyncio.gather(*both)

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    proxy.address = f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        yield proxy
    finally:
        server.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path)


def tls_env(proxy: TlsProxy, pki: Pki, *, client_cert: bool = True) -> dict[str, str]:
    env = {
        "TEMPORAL_ADDRESS": proxy.address,
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(pki.ca),
        "TEMPORAL_TLS_SERVER_NAME": SERVER_NAME,
    }
    if client_cert:
        env["TEMPORAL_TLS_CLIENT_CERT_PATH"] = str(pki.client_cert)
        env["TEMPORAL_TLS_CLIENT_KEY_PATH"] = str(pki.client_key)
    return env


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("TEMPORAL_")]:
            patch.delenv(name)
        for name, value in values.items():
            patch.setenv(name, value)
        yield


async def test_a_graph_runs_over_mtls(server: DevServer, pki: Pki, thread: str) -> None:
    async with tls_proxy(server.address, pki) as proxy:
        with environment(tls_env(proxy, pki)):
            client = await connect()  # the address too comes from the environment
        assert client.service_client.config.target_host == proxy.address
        task_queue = f"tls-{uuid.uuid4().hex[:8]}"
        async with create_worker(client, {"ask": build_ask()}, task_queue=task_queue):
            graphs = GraphClient(client, task_queue=task_queue)
            out = await graphs.invoke("ask", {"log": [], "x": 1}, thread_id=thread)
            assert out["__interrupt__"][0].value == {"question": "approve?", "x": 1}
            done = await graphs.resume(thread, "yes")
            assert done["log"] == ["a", "ask=yes", "b"]
        assert proxy.clients and set(proxy.clients) == {CLIENT_NAME}


async def test_an_api_key_connects_over_tls(server: DevServer, pki: Pki, thread: str) -> None:
    """Temporal Cloud's other way in: TEMPORAL_API_KEY (sent as `authorization: Bearer`, which
    the dev server does not check) turns TLS on by itself; no client certificate."""
    async with tls_proxy(server.address, pki, mtls=False) as proxy:
        env = {**tls_env(proxy, pki, client_cert=False), "TEMPORAL_API_KEY": "test-api-key"}
        with environment(env):
            client = await connect()
        assert client.api_key == "test-api-key"
        task_queue = f"tls-key-{uuid.uuid4().hex[:8]}"
        async with create_worker(client, {"ask": build_ask()}, task_queue=task_queue):
            graphs = GraphClient(client, task_queue=task_queue)
            await graphs.invoke("ask", {"log": [], "x": 3}, thread_id=thread)
            assert (await graphs.resume(thread, "fine"))["human"] == "fine"
        assert proxy.clients  # it went through the TLS proxy


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        # The proxy ends the handshake: no client certificate, and it requires mTLS.
        ({"client_cert": False}, "transport error|close_notify|handshake"),
        # A name the server's certificate does not carry.
        ({"TEMPORAL_TLS_SERVER_NAME": "other.test"}, "NotValidForName"),
        # The system's CAs do not know the test CA.
        ({"TEMPORAL_TLS_SERVER_CA_CERT_PATH": None}, "UnknownIssuer"),
    ],
)
async def test_a_wrong_tls_setting_does_not_connect(
    server: DevServer, pki: Pki, change: dict[str, object], reason: str
) -> None:
    async with tls_proxy(server.address, pki) as proxy:
        env = tls_env(proxy, pki, client_cert=bool(change.get("client_cert", True)))
        for name, value in change.items():
            if name.startswith("TEMPORAL_"):
                if value is None:
                    env.pop(name)
                else:
                    env[name] = str(value)
        with environment(env), pytest.raises(TemporalUnavailableError) as refused:
            await asyncio.wait_for(connect(), timeout=60)
    assert re.search(reason, str(refused.value)), str(refused.value)


async def test_cli_worker_and_thread_commands_over_mtls(
    server: DevServer, pki: Pki, tmp_path: Path
) -> None:
    """`tempograph worker` (what worker.py runs) and `tempograph run/state/resume`, configured
    by TEMPORAL_* only."""
    (tmp_path / "tls_graph.py").write_text(GRAPH_MODULE)
    task_queue = f"tls-cli-{uuid.uuid4().hex[:6]}"
    async with tls_proxy(server.address, pki) as proxy:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "TEMPOGRAPH_"))
        }
        env.update(tls_env(proxy, pki))
        env["TEMPOGRAPH_TASK_QUEUE"] = task_queue
        env["PYTHONPATH"] = os.pathsep.join([str(Path.cwd()), str(tmp_path)])
        worker = await asyncio.create_subprocess_exec(
            *tempograph_command(),
            "worker",
            "--graph",
            "ask=tls_graph:graph",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            assert worker.stdout is not None
            line = await asyncio.wait_for(worker.stdout.readline(), timeout=60)
            assert line.strip() == b"ready"
            thread = f"tls-{uuid.uuid4().hex[:8]}"
            code, _, err = await cli(
                "run", "ask", '{"log": [], "x": 2}', "--thread", thread, env=env, cwd=tmp_path
            )
            assert code == 0, err
            code, out, err = await cli("state", thread, "--json", env=env, cwd=tmp_path)
            assert code == 0, err
            assert json.loads(out)["next"] == ["ask"]
            code, out, err = await cli("resume", thread, '"ok"', "--json", env=env, cwd=tmp_path)
            assert code == 0, err
            assert json.loads(out)["log"] == ["a", "ask=ok", "b"]
        finally:
            if worker.returncode is None:
                worker.send_signal(signal.SIGTERM)
            await asyncio.wait_for(worker.wait(), timeout=30)
        # Every process presented the client certificate.
        assert len(proxy.clients) >= 4 and set(proxy.clients) == {CLIENT_NAME}

        # Without TLS settings the same address refuses, as one line with exit code 1.
        plain = {k: v for k, v in env.items() if not k.startswith("TEMPORAL_TLS")}
        code, _, err = await cli("state", thread, env=plain, cwd=tmp_path)
        assert code == 1 and err.startswith("error: ") and "unreachable" in err
