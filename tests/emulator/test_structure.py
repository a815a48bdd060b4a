"""The emulator package's shape: no import cycle, short modules, private names kept private."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import django_workfront_oauth.testing as testing
from django_workfront_oauth import constants

PACKAGE = Path(testing.__file__).parent
MODULES = sorted(PACKAGE.glob("*.py"))
#: STYLE.md: a module a reader can take in at one sitting.
MAX_LINES = 400
#: The endpoint modules and what serves them must not know the emulator class.
BELOW_THE_EMULATOR = ("api", "consent", "ims", "legacy", "routes", "server", "backend", "oidc")


def _imports(path: Path, *, type_checking: bool = False) -> set[str]:
    """The sibling modules ``path`` imports when it runs (and for mypy, with ``type_checking``)."""
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                if type_checking:
                    visit(node.body)
                continue
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    found.add(node.module.split(".")[0])
                else:
                    found.update(alias.name for alias in node.names)
            for field in ("body", "orelse", "finalbody", "handlers"):
                visit(getattr(node, field, []))

    visit(ast.parse(path.read_text()).body)
    return found


GRAPH = {path.stem: _imports(path) for path in MODULES}


def test_no_import_cycle() -> None:
    done: set[str] = set()

    def walk(module: str, trail: tuple[str, ...]) -> None:
        if module in trail:
            pytest.fail("import cycle: " + " -> ".join((*trail[trail.index(module) :], module)))
        if module in done:
            return
        for imported in GRAPH.get(module, ()):
            walk(imported, (*trail, module))
        done.add(module)

    for module in GRAPH:
        walk(module, ())


@pytest.mark.parametrize("module", BELOW_THE_EMULATOR)
def test_the_endpoints_do_not_import_the_emulator(module: str) -> None:
    # Not even for mypy: they type against backend.Backend instead.
    assert "emulator" not in _imports(PACKAGE / f"{module}.py", type_checking=True)


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_modules_stay_short(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_LINES


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_no_private_name_is_imported_from_a_sibling(path: Path) -> None:
    tree = ast.parse(path.read_text())
    private = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level >= 1
        for alias in node.names
        if alias.name.startswith("_")
    ]

    assert private == []


def _code_strings(path: Path) -> set[str]:
    """The string literals of ``path``'s code (docstrings left out)."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    }


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_the_names_shared_with_the_app_come_from_constants(path: Path) -> None:
    # Provider names, endpoint paths and scopes are written once, in constants.py.
    shared = {
        constants.PROVIDER_ADOBE_IMS,
        constants.PROVIDER_WORKFRONT,
        constants.IMS_AUTHORIZE_PATH,
        constants.IMS_TOKEN_PATH,
        constants.IMS_REVOKE_PATH,
        constants.IMS_USERINFO_PATH,
        constants.IMS_DISCOVERY_PATH,
        constants.LEGACY_AUTHORIZE_PATH,
        constants.LEGACY_TOKEN_PATH,
        "additional_info.projectedProductContext",
    }

    assert _code_strings(path) & shared == set()
