"""The import-linter contracts in pyproject.toml cover every module of the shared core."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).parent.parent
COMPOSITION_ROOTS = {
    "_client",
    "__init__",
    "__main__",
    "cli",
    "_cli_emulator",
    "_cli_upload",
    "_sync",
    "pytest_plugin",
}


def test_every_root_module_is_held_to_the_shared_core_contract() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    core = next(c for c in contracts if c["name"] == "The shared core imports no API area")
    listed = set(core["source_modules"])
    root = {
        f"gloo_ai.{path.stem if path.is_file() else path.name}"
        for path in (ROOT / "gloo_ai").iterdir()
        if (path.suffix == ".py" or (path / "__init__.py").is_file())
        and (path.stem if path.is_file() else path.name) not in COMPOSITION_ROOTS
        and path.name not in ("resources", "types", "testing")
    }
    assert root - listed == set(), "add these to the contract in pyproject.toml"
