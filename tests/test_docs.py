"""The documentation keeps up with the code: every setting, check id, signal and command is
documented in ``docs/``, the Sphinx site builds without a warning, and README.rst keeps its
promises (the two commands first, the latest benchmark table, valid reStructuredText)."""

from __future__ import annotations

import importlib
import inspect
import itertools
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from django_workfront_oauth import exceptions, signals
from django_workfront_oauth.conf import INSTANCE_DEFAULTS, PREFIX, SITE_DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = (ROOT / "README.rst").read_text(encoding="utf-8")
SETTINGS_PAGE = (DOCS / "settings.rst").read_text(encoding="utf-8")
CHECKS_PAGE = (DOCS / "checks.rst").read_text(encoding="utf-8")


def needs(module: str) -> Any:
    """``module``, imported; the docs extra provides it. Skipped without it, except in CI."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"{module} is not installed (pip install -e '.[docs]')")


_UNDERLINE = re.compile(r"([=\-~^\"'`#*+.:_])\1+")


def sections(text: str) -> dict[str, str]:
    """Each section title of a reStructuredText page, with the text up to the next title."""
    lines = text.splitlines()
    starts = [
        index
        for index, (title, underline) in enumerate(itertools.pairwise(lines))
        if title.strip()
        and title == title.lstrip()  # not a line of a code block
        and not _UNDERLINE.fullmatch(title.strip())
        and _UNDERLINE.fullmatch(underline.strip() or "x")
        and len(underline.strip()) >= len(title.strip())
    ]
    found: dict[str, str] = {}
    for start, end in itertools.zip_longest(starts, starts[1:], fillvalue=len(lines)):
        found[lines[start].strip()] = "\n".join(lines[start + 2 : end])
    return found


def field(body: str, name: str) -> str:
    """The value of the field ``:name:`` in a section, with its continuation lines."""
    match = re.search(rf"^:{name}:(.*(?:\n[ \t]+\S.*)*)", body, re.MULTILINE)
    return " ".join(match[1].split()) if match else ""


# -- settings -----------------------------------------------------------------------------------

SETTINGS = [*INSTANCE_DEFAULTS, *SITE_DEFAULTS]
SETTING_SECTIONS = sections(SETTINGS_PAGE)


def documented_default(value: Any) -> str | None:
    """How the settings page writes a default, for the defaults a short form can say."""
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
            if seconds % size == 0:
                count = seconds // size
                return f"{count} {unit}{'' if count == 1 else 's'}"
    if value is None or isinstance(value, bool):
        return f"``{value}``"
    if isinstance(value, int) and value % (1024 * 1024) == 0:
        return f"{value // (1024 * 1024)} MiB"
    if isinstance(value, str) and value:
        return f'``"{value}"``'
    return None  # an empty string or a container: said in words


@pytest.mark.parametrize("name", SETTINGS)
def test_every_setting_has_a_heading_with_type_default_and_example(name: str) -> None:
    body = SETTING_SECTIONS.get(PREFIX + name)
    assert body is not None, f"docs/settings.rst has no heading {PREFIX + name}"
    for key in ("Type", "Default", "Example"):
        assert field(body, key) or (key == "Example" and re.search(r"^:Example:", body, re.M)), (
            f"{PREFIX + name}: no :{key}: field"
        )
    if name == "INSTANCES":
        assert ".. code-block:: python" in body


@pytest.mark.parametrize(
    "name", [name for name, value in INSTANCE_DEFAULTS.items() if documented_default(value)]
)
def test_the_documented_default_is_the_code_default(name: str) -> None:
    expected = documented_default(INSTANCE_DEFAULTS[name])
    assert expected is not None
    assert expected in field(SETTING_SECTIONS[PREFIX + name], "Default")


def test_the_settings_page_documents_no_setting_that_does_not_exist() -> None:
    documented = {title for title in SETTING_SECTIONS if title.startswith(PREFIX)}
    assert documented == {PREFIX + name for name in SETTINGS}


# -- system checks ------------------------------------------------------------------------------


def _checks_module() -> Any:
    return importlib.import_module("django_workfront_oauth.checks")


def check_ids_listed() -> set[str]:
    """The ids in the checks module's docstring, the list of record."""
    return set(re.findall(r"\b([EW]\d{3})\b", _checks_module().__doc__ or ""))


def check_ids_used() -> set[str]:
    """The ids the checks' code can report."""
    module = _checks_module()
    path = Path(module.__file__)
    files = sorted(path.parent.glob("*.py")) if path.name == "__init__.py" else [path]
    used: set[str] = set()
    for file in files:
        source = file.read_text(encoding="utf-8").replace(module.__doc__ or "", "")
        used |= set(re.findall(r"""["']([EW]\d{3})["']""", source))
    return used


def check_ids_documented() -> set[str]:
    """The ids that open a section title of docs/checks.rst (``E001: HOST is not set``)."""
    return {
        match[1] for title in sections(CHECKS_PAGE) if (match := re.match(r"([EW]\d{3})\b", title))
    }


def test_every_check_id_the_code_reports_is_listed_in_the_module_docstring() -> None:
    used = check_ids_used()
    assert used, "no check ids found in the checks' source"
    assert used <= check_ids_listed(), sorted(used - check_ids_listed())


def test_every_listed_check_id_has_a_section_in_the_docs() -> None:
    missing = check_ids_listed() - check_ids_documented()
    assert not missing, f"docs/checks.rst lacks {sorted(missing)}"


def test_the_checks_page_documents_no_check_that_does_not_exist() -> None:
    unknown = check_ids_documented() - check_ids_listed()
    assert not unknown, f"docs/checks.rst documents {sorted(unknown)}, unknown to checks.py"


# -- signals, exceptions, commands --------------------------------------------------------------


def test_every_signal_is_documented() -> None:
    page = (DOCS / "signals.rst").read_text(encoding="utf-8")
    names = [name for name, value in vars(signals).items() if type(value).__name__ == "Signal"]
    assert names
    for name in names:
        assert f"``{name}``" in page, name


def test_every_exception_is_in_the_api_reference() -> None:
    page = (DOCS / "api.rst").read_text(encoding="utf-8")
    names = [
        name
        for name, value in vars(exceptions).items()
        if inspect.isclass(value)
        and issubclass(value, Exception)
        and value.__module__ == exceptions.__name__
    ]
    assert names
    for name in names:
        assert re.search(rf"\b{name}\b", page), name


def test_every_management_command_is_documented() -> None:
    commands = ROOT / "django_workfront_oauth" / "management" / "commands"
    text = "\n".join(page.read_text(encoding="utf-8") for page in DOCS.rglob("*.rst"))
    names = [path.stem for path in commands.glob("*.py") if not path.stem.startswith("_")]
    assert names
    for name in names:
        assert name in text, name


# -- the Sphinx site ----------------------------------------------------------------------------


def test_the_docs_build_without_a_warning(tmp_path: Path) -> None:
    needs("sphinx")
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
    result = subprocess.run(
        [*command, "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-5000:]


# -- README.rst ---------------------------------------------------------------------------------


def readme_doctree() -> Any:
    """README.rst parsed by plain docutils, as PyPI renders it; any warning fails."""
    core = needs("docutils.core")
    return core.publish_doctree(
        README, settings_overrides={"halt_level": 2, "report_level": 2, "warning_stream": False}
    )


def node_types() -> Any:
    return needs("docutils.nodes")


def test_readme_is_valid_restructuredtext() -> None:
    readme_doctree()


def test_readme_gives_the_two_commands_before_anything_else_of_substance() -> None:
    document = readme_doctree()
    nodes = node_types()
    before: list[Any] = []
    for node in document.findall():
        if isinstance(node, nodes.literal_block):
            first_block = node
            break
        before.append(node)
    else:
        pytest.fail("README.rst has no code block")
    commands = first_block.astext()
    assert re.search(r"^make demo\b", commands, re.MULTILINE)
    assert re.search(r"^make test\b", commands, re.MULTILINE)
    substance = (nodes.bullet_list, nodes.enumerated_list, nodes.definition_list, nodes.table)
    assert not [node for node in before if isinstance(node, substance)]
    prose = [node for node in before if isinstance(node, nodes.paragraph)]
    assert sum(len(node.astext()) for node in prose) < 800, "more than a pitch before them"


def test_readme_shows_the_latest_benchmark_table() -> None:
    latest = (ROOT / "benchmarks" / "LATEST.txt").read_text(encoding="utf-8").strip()
    document = readme_doctree()
    blocks = [node.astext().strip() for node in document.findall(node_types().literal_block)]
    assert latest in blocks, "README.rst's benchmark table is not benchmarks/LATEST.txt"


def test_readme_keeps_security_short_and_links_to_the_page() -> None:
    body = sections(README)["Security"]
    assert len(body.split()) < 150
    assert "security.html" in body
    assert "docs/security.rst" in body
    assert (DOCS / "security.rst").exists()


def test_readme_links_to_the_documentation() -> None:
    assert "https://django-workfront-oauth.readthedocs.io/" in README


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, re.MULTILINE)
