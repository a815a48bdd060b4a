"""The import-layers contract (``make lint``): it holds for the package and it can fail.

The contract lives in ``pyproject.toml`` (``[tool.importlinter]``); these tests run
import-linter's ``lint-imports`` on the real tree and on a copy with one upward import added.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def copy_of_the_package(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "django_workfront_oauth",
        tmp_path / "django_workfront_oauth",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_package_keeps_the_layers_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "upward_import"),
    [
        ("providers/base.py", "from ..services import refresh_connection"),
        ("models/connection.py", "from ..services import refresh_connection"),
        ("services/refresh.py", "from ..client import WorkfrontClient"),
        ("conf.py", "from .models import WorkfrontConnection"),
    ],
    ids=["provider->service", "model->service", "service->client", "conf->models"],
)
def test_an_upward_import_breaks_the_contract(
    copy_of_the_package: Path, module: str, upward_import: str
) -> None:
    path = copy_of_the_package / "django_workfront_oauth" / module
    source = path.read_text()
    marker = "from __future__ import annotations\n"
    path.write_text(source.replace(marker, f"{marker}\n{upward_import}  # noqa\n", 1))
    result = lint_imports(copy_of_the_package)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
