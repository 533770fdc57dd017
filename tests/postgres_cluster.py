"""A throwaway PostgreSQL cluster for tests (Debian's `postgresql` package: initdb and pg_ctl
from /usr/lib/postgresql/<version>/bin): initdb into a fresh folder under /tmp, a free port,
its unix socket in that folder (no TCP listener), trust authentication, fsync off. PostgreSQL
refuses to run as root: as root, the cluster runs as the `postgres` system user (which the
package creates) through runuser."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import free_port

USER = "tempograph"


class PostgresUnavailableError(RuntimeError):
    """No PostgreSQL binaries, or no user to run them as."""


def binaries() -> Path:
    """The folder holding initdb and pg_ctl."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent

    def version(path: str) -> int:
        name = Path(path).parent.parent.name
        return int(name) if name.isdigit() else 0

    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version)
    if not versions:
        raise PostgresUnavailableError(
            "no initdb on PATH nor in /usr/lib/postgresql/*/bin: apt-get install postgresql"
        )
    return Path(versions[-1]).parent


def _runner() -> list[str]:
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailableError(
            "running as root and there is no `postgres` user to run PostgreSQL as "
            "(apt-get install postgresql creates it)"
        ) from None
    return ["runuser", "-u", "postgres", "--"]


@contextlib.contextmanager
def cluster() -> Iterator[str]:
    """Start a cluster; yields its URI (postgresql://tempograph@/postgres?host=<socket dir>...)."""
    bin_dir = binaries()
    run_as = _runner()
    folder = Path(tempfile.mkdtemp(prefix="tgpg-", dir="/tmp"))
    try:
        if run_as:
            shutil.chown(folder, "postgres", "postgres")
        data = folder / "data"
        port = free_port()

        def run(*args: str) -> None:
            out = subprocess.run(
                [*run_as, *args], capture_output=True, text=True, timeout=120, cwd="/tmp"
            )
            if out.returncode != 0:
                log = folder / "log"
                tail = log.read_text()[-2000:] if log.exists() else ""
                raise PostgresUnavailableError(
                    f"{' '.join(args[:2])} failed ({out.returncode}): {out.stderr[-2000:]} {tail}"
                )

        run(
            str(bin_dir / "initdb"),
            "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-locale",
        )  # fmt: skip
        options = f"-k {folder} -p {port} -c listen_addresses='' -c fsync=off"
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"),
            "-w", "-t", "60", "start")  # fmt: skip
        try:
            yield f"postgresql://{USER}@/postgres?host={folder}&port={port}"
        finally:
            subprocess.run(
                [*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w",
                 "stop"],
                capture_output=True,
                timeout=60,
                cwd="/tmp",
            )  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def fresh_database(uri: str) -> str:
    """A new, empty database on the cluster at `uri`; its URI."""
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return uri.replace("@/postgres?", f"@/{name}?", 1)
