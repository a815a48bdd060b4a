"""The README documents what the code offers: every setting, every check id, the commands."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from django_workfront_oauth import checks
from django_workfront_oauth.conf import INSTANCE_DEFAULTS, PREFIX

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.rst").read_text(encoding="utf-8")


def headings() -> set[str]:
    """The README's section titles (reStructuredText: a line underlined with ``-`` or ``=``)."""
    lines = README.splitlines()
    return {
        title.strip()
        for title, underline in itertools.pairwise(lines)
        if title.strip() and re.fullmatch(r"([-=~^])\1+", underline.strip() or "x")
    }


@pytest.mark.parametrize("name", [*INSTANCE_DEFAULTS, "INSTANCES"])
def test_readme_has_a_heading_for_every_setting(name: str) -> None:
    assert PREFIX + name in headings()


def test_every_check_id_is_documented_in_the_readme_and_the_module() -> None:
    source = Path(checks.__file__).read_text(encoding="utf-8")
    used = set(re.findall(r'ID\("([EW]\d{3})"\)', source))
    used |= set(re.findall(r'"([EW]\d{3})", "[EW]\d{3}"', source))
    assert used, "no check ids found"
    for check_id in used:
        assert re.search(rf"^{check_id}\s", README, re.MULTILINE), check_id
        assert f"| {check_id} " in source, check_id


def test_readme_gives_the_two_commands_first() -> None:
    first_block = README.index(".. code-block:: sh")
    assert README.index("make demo") > first_block
    assert README.index("make test") > first_block
    assert README.index("make demo") < README.index("Installation")


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, re.MULTILINE)
