"""The import rules of pyproject.toml ([tool.importlinter]) hold, and a wrong import breaks them.

`make test` and `make lint` run `lint-imports` on the tree; these tests show that the contracts are
not vacuous: a copy of the code with one forbidden import added fails them, naming the import.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "config",
    "core",
    "accounts",
    "catalogue",
    "access",
    "delivery",
    "demo",
    "workers",
    "workspace",
    "interop",
)
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    """The project's packages and pyproject.toml, copied where they can be broken."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def add_line(path: Path, line: str) -> None:
    path.write_text(path.read_text() + f"\n{line}  # noqa\n")


def test_the_tree_keeps_every_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_catalogue_importing_access_breaks_the_layers(tree_copy: Path):
    add_line(tree_copy / "catalogue" / "models.py", "import access.models")
    result = lint_imports(tree_copy)
    assert result.returncode != 0
    assert "catalogue is not allowed to import access" in result.stdout
    assert "catalogue.models -> access.models" in result.stdout


def test_core_importing_an_app_breaks_the_layers(tree_copy: Path):
    add_line(tree_copy / "core" / "dispatch.py", "from accounts.models import ApiToken")
    result = lint_imports(tree_copy)
    assert result.returncode != 0
    assert "core is not allowed to import accounts" in result.stdout


def test_a_service_importing_a_task_module_is_refused(tree_copy: Path):
    add_line(tree_copy / "access" / "services" / "grants.py", "from access.tasks import heartbeat")
    result = lint_imports(tree_copy)
    assert result.returncode != 0
    assert "access.services.grants -> access.tasks" in result.stdout
