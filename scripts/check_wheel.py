"""Build the wheel and check that it carries everything the app needs at run time.

The test suite imports the package from the source tree, so it cannot notice a template, a
migration or ``py.typed`` left out of the distribution; this does. ``tox -e wheel`` runs it.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "django_workfront_oauth"


def expected_files() -> set[str]:
    """Every module, migration, template and marker file of the package, relative to ROOT."""
    wanted: set[str] = set()
    for pattern in ("**/*.py", "**/*.html", "py.typed"):
        for path in PACKAGE.glob(pattern):
            if "__pycache__" not in path.parts:
                wanted.add(path.relative_to(ROOT).as_posix())
    return wanted


def main() -> int:
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", out, str(ROOT)],
            check=True,
        )
        (wheel,) = Path(out).glob("django_workfront_oauth-*.whl")
        with zipfile.ZipFile(wheel) as archive:
            names = set(archive.namelist())
            entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
            plugin = archive.read(entry_points).decode()
    missing = sorted(expected_files() - names)
    problems = [f"missing from the wheel: {name}" for name in missing]
    if "django_workfront_oauth.testing.pytest_plugin" not in plugin:
        problems.append("the pytest11 entry point is missing")
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{wheel.name}: {len(names)} files, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
