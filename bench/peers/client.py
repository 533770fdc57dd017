"""Drive a peer driver process over its JSON-lines protocol (stdlib + asyncio only).

    peer = PeerProcess()
    await peer.start("temporalio-langgraph", "127.0.0.1:7233")
    reply = await peer.call(op="linear", n=10)   # {"ms": ..., "id": ...}
    await peer.close()

`start` builds the peer's venv if needed (bench.peers.envs), spawns its driver on that venv's
interpreter, and waits for the `{"ready": true, "versions": {...}}` line. The driver's stderr and
any pip output go to bench/.venvs/<name>.log. Replies are dicts; a driver-side failure comes back
as {"error": "..."} (prefix "unsupported: " for ops the peer cannot do), never as an exception.
"""

from __future__ import annotations

import asyncio
import json
from types import TracebackType
from typing import IO, Any

from bench.peers.envs import NAMES, driver_script, ensure_env, env_python, log_file

PEERS: tuple[str, ...] = NAMES
DISPLAY_NAMES: dict[str, str] = {
    "temporalio-langgraph": "temporalio-langgraph (Temporal's LangGraph plugin)",
    "langgraph-temporal": "langgraph-temporal (third-party TemporalGraph)",
    "langgraph-sqlite": "LangGraph + SQLite checkpointer (in-process, no Temporal)",
}
# Ops whose replies carry a run id that `{"op": "history", "id": ...}` accepts.
TEMPORAL_PEERS: frozenset[str] = frozenset({"temporalio-langgraph", "langgraph-temporal"})


class PeerError(RuntimeError):
    """The driver process failed: did not start, died, broke the protocol, or timed out."""


class PeerProcess:
    """One running peer driver. Calls are serialised: the protocol is one request at a time."""

    def __init__(self, *, ready_timeout: float = 120.0, call_timeout: float = 300.0) -> None:
        self.ready_timeout = ready_timeout
        self.call_timeout = call_timeout
        self.name: str | None = None
        self.versions: dict[str, str] = {}
        self._proc: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None
        self._lock = asyncio.Lock()

    @property
    def display_name(self) -> str:
        return DISPLAY_NAMES.get(self.name or "", self.name or "?")

    async def start(
        self, name: str, address: str, namespace: str = "default", *extra_args: str
    ) -> dict[str, Any]:
        """Ensure the venv, spawn the driver, and return its ready line."""
        if self._proc is not None:
            raise PeerError(f"peer {self.name} already started")
        self.name = name
        log_file(name).parent.mkdir(parents=True, exist_ok=True)  # a fresh clone has no .venvs
        self._log = open(log_file(name), "ab")  # noqa: SIM115 - closed in close()
        try:
            await asyncio.to_thread(ensure_env, name, output=self._log)
            self._proc = await asyncio.create_subprocess_exec(
                str(env_python(name)),
                str(driver_script(name)),
                "--address",
                address,
                "--namespace",
                namespace,
                *extra_args,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=self._log,
                limit=1 << 22,
            )
            ready = await self._read(self.ready_timeout, "ready line")
        except BaseException:
            await self._kill()
            raise
        if ready.get("ready") is not True:
            await self._kill()
            raise PeerError(f"{name}: driver not ready: {ready} ({self._log_hint()})")
        self.versions = dict(ready.get("versions", {}))
        return ready

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    async def call(self, *, timeout: float | None = None, **cmd: Any) -> dict[str, Any]:
        """Send one command (e.g. op="linear", n=10) and return the driver's reply (within
        `timeout` seconds, default `call_timeout`)."""
        if self._proc is None or self._proc.stdin is None:
            raise PeerError("peer not started")
        async with self._lock:
            self._proc.stdin.write((json.dumps(cmd) + "\n").encode())
            await self._proc.stdin.drain()
            return await self._read(timeout or self.call_timeout, f"reply to {cmd}")

    async def close(self, timeout: float = 30.0) -> int | None:
        """Ask the driver to quit (it shuts its worker down), kill it if it will not; exit code."""
        proc = self._proc
        if proc is None:
            return None
        try:
            if proc.returncode is None and proc.stdin is not None:
                proc.stdin.write(b'{"op": "quit"}\n')
                await proc.stdin.drain()
                proc.stdin.close()
                await asyncio.wait_for(proc.wait(), timeout)
        except (TimeoutError, ConnectionError):
            pass
        finally:
            await self._kill()
        return proc.returncode

    async def __aenter__(self) -> PeerProcess:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _read(self, timeout: float, what: str) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdout is not None
        try:
            line = await asyncio.wait_for(self._proc.stdout.readline(), timeout)
        except TimeoutError as e:
            raise PeerError(f"{self.name}: no {what} within {timeout}s ({self._log_hint()})") from e
        if not line:
            code = await self._proc.wait()
            hint = self._log_hint()
            raise PeerError(f"{self.name}: driver exited ({code}) before {what} ({hint})")
        try:
            reply = json.loads(line)
        except json.JSONDecodeError as e:
            raise PeerError(f"{self.name}: bad protocol line {line[:200]!r}") from e
        if not isinstance(reply, dict):
            raise PeerError(f"{self.name}: bad protocol line {line[:200]!r}")
        return reply

    def _log_hint(self) -> str:
        return f"see {log_file(self.name)}" if self.name else "no log"

    async def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            proc.kill()
            await proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
