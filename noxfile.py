"""Nox sessions for gloo-ai. Run ``nox`` for the default set, ``nox -l`` to list them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nox
from packaging.requirements import Requirement

nox.needs_version = ">=2024.3.2"  # "uv|venv" backend fallback syntax
nox.options.default_venv_backend = "uv|venv"
nox.options.sessions = ["tests", "tests_floor", "lint", "typecheck", "docs", "build"]

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
TEST_DEPS = ["pytest", "pytest-asyncio", "respx", "trio", "coverage", "uvicorn"]
# ruff formats what scripts/gen_sync.py writes: the sync client's drift test regenerates it.
TEST_DEPS += ["ruff"]
# Test-only peers: the official openai package proves the emulator's fidelity; FastAPI proves
# the documented recipe for testing an app that uses the SDK.
TEST_DEPS += ["openai", "fastapi"]
# The Redis token store (the `redis` extra), tested against a real redis-server: .ci/run
# starts one and sets GLOO_TEST_REDIS_URL; nox passes the environment (and CI) through.
TEST_DEPS += ["redis"]
# The aiohttp transport (the `aiohttp` extra), tested against the loopback server.
TEST_DEPS += ["aiohttp"]
# The example notebook (examples/notebook.ipynb), executed in a real kernel by nbclient.
TEST_DEPS += ["nbclient", "nbformat", "ipykernel"]
# The instrumentation (the `otel` extra), tested with the OpenTelemetry SDK's in-memory
# span and metric exporters; the SDK brings a matching opentelemetry-api.
TEST_DEPS += ["opentelemetry-sdk"]
# Test-dependency pins for the floor run: the newest respx that supports httpx 0.27, the
# `redis` extra's floor, and the SDK of the `otel` extra's floor (opentelemetry-api 1.30,
# the first with histogram bucket advice).
FLOOR_TEST_PINS = {
    "respx": "respx==0.21.1",
    "redis": "redis==5.0.0",
    "opentelemetry-sdk": "opentelemetry-sdk==1.30.0",
}
DOCS_DEPS = ["mkdocs<2", "mkdocs-material", "mkdocstrings[python]"]
CANDIDATE_PYTHONS = ["3.10", "3.11", "3.12", "3.13"]


def _runs(exe: str | Path) -> bool:
    """Return True if ``exe`` is a working interpreter (pyenv shims may not be)."""
    try:
        proc = subprocess.run([exe, "-c", "pass"], capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0


def _pyenv_python(version: str) -> Path | None:
    """Return the newest working ``$PYENV_ROOT/versions/<version>.*/bin/python<version>``."""
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    found: list[tuple[tuple[int, ...], Path]] = []
    for exe in root.glob(f"versions/{version}.*/bin/python{version}"):
        if re.fullmatch(rf"{re.escape(version)}\.\d+", exe.parent.parent.name):
            found.append((tuple(map(int, exe.parent.parent.name.split("."))), exe))
    return next((exe for _, exe in sorted(found, reverse=True) if _runs(exe)), None)


def _discover_pythons() -> list[str]:
    """Return the runnable CPython versions; make pyenv-only ones findable on PATH."""
    runnable: list[str] = []
    extra_dirs: list[str] = []
    for version in CANDIDATE_PYTHONS:
        on_path = shutil.which(f"python{version}")
        if on_path and _runs(on_path):
            runnable.append(version)
        elif exe := _pyenv_python(version):
            runnable.append(version)
            extra_dirs.append(str(exe.parent))
    if extra_dirs:
        os.environ["PATH"] = os.pathsep.join([*extra_dirs, os.environ.get("PATH", "")])
    current = f"{sys.version_info.major}.{sys.version_info.minor}"
    if current not in runnable:
        runnable.append(current)
    return sorted(runnable, key=lambda v: tuple(map(int, v.split("."))))


PYTHONS = _discover_pythons()


def _floor_pins() -> list[str]:
    """Pin every runtime dependency to its declared ``>=`` floor from pyproject.toml."""
    pins = []
    for dep in PYPROJECT["project"]["dependencies"]:
        req = Requirement(dep)
        floors = [spec.version for spec in req.specifier if spec.operator == ">="]
        if len(floors) != 1:
            raise ValueError(f"dependency {dep!r} must declare exactly one '>=' floor")
        extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
        marker = f"; {req.marker}" if req.marker else ""
        pins.append(f"{req.name}{extras}=={floors[0]}{marker}")
    return pins


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite under coverage on every available Python."""
    session.install("-e", ".", *TEST_DEPS)
    session.run("coverage", "run", "-m", "pytest", *session.posargs)
    session.run("coverage", "report")


@nox.session(python=PYTHONS[0])
def tests_floor(session: nox.Session) -> None:
    """Run the test suite against the exact dependency floors on the lowest Python."""
    pins = _floor_pins()
    session.log(f"Dependency floors: {', '.join(pins)}")
    test_deps = [FLOOR_TEST_PINS.get(dep, dep) for dep in TEST_DEPS]
    session.install("-e", ".", *pins, *test_deps)
    # The openai package is a test-only peer that proves the emulator's fidelity (run by every
    # `tests` session); with typing_extensions at its floor it resolves to an openai 2.x whose
    # stream helper breaks on pydantic 2.7 (its bug, not the SDK's), so it is left out here.
    session.run("pytest", "--ignore=tests/test_openai_compat.py", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check linting and formatting with ruff, and the import layers with import-linter."""
    session.install("-e", ".", "ruff", "import-linter")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("lint-imports")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Type-check the package with mypy (strict, configured in pyproject.toml), and the
    typing checks in tests/typing (misspelt arguments must stay errors there), and the
    example apps (a separate run: examples/ is not a package)."""
    session.install("-e", ".", "mypy", *TEST_DEPS)
    session.run("mypy", "gloo_ai", "tests/typing")
    session.run("mypy", "examples/fastapi_app/app.py")


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks (not a default session, never a gate): see docs/performance.md.

    Extra arguments go to ``python -m benchmarks.run`` (for example ``-- --quick``).
    """
    session.install("-e", ".[aiohttp,otel]", "openai", "uvicorn", "opentelemetry-sdk")
    session.run("python", "-m", "benchmarks.run", *session.posargs)
    session.run("python", "-m", "benchmarks.instrumentation")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site with mkdocs in strict mode."""
    session.install("-e", ".", *DOCS_DEPS)
    session.run("mkdocs", "build", "--strict", env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session
def build(session: nox.Session) -> None:
    """Build sdist and wheel, check them with twine, and smoke-test the wheel in a fresh venv."""
    session.install("build", "twine")
    with tempfile.TemporaryDirectory(prefix="gloo-ai-build-") as tmp:
        dist = Path(tmp, "dist")
        session.run("python", "-m", "build", "--outdir", str(dist))
        artifacts = sorted(str(p) for p in dist.iterdir())
        session.run("twine", "check", "--strict", *artifacts)
        (wheel,) = dist.glob("*.whl")
        venv = Path(tmp, "venv")
        session.run("python", "-m", "venv", str(venv))
        python = str(venv / "bin" / "python")
        session.run(python, "-m", "pip", "install", "--quiet", str(wheel), external=True)
        with session.chdir(tmp):  # not the repo root, so the installed wheel is imported
            out = session.run(
                python,
                "-c",
                "import gloo_ai; print(gloo_ai.__version__)",
                external=True,
                silent=True,
            )
            # The README's main job, from the installed wheel's console script.
            answer = session.run(
                str(venv / "bin" / "gloo"),
                "chat",
                "--emulator",
                "How can I be joyful in hard times?",
                external=True,
                silent=True,
            )
        version = str(out).strip()
        session.log(f"Installed wheel reports gloo_ai.__version__ = {version}")
        if wheel.name.split("-")[1] != version:
            session.error(f"wheel {wheel.name} does not match __version__ {version}")
        if not str(answer).strip():
            session.error("gloo chat --emulator printed no answer")
