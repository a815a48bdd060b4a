"""Sphinx configuration of the django-workfront-oauth documentation.

Build it with ``make docs``, or by hand from the repository's root::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Warnings are errors: a broken reference, a docstring autodoc cannot read or a page missing from
the table of contents fails the build.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# autodoc imports the models, which needs configured settings: the test suite's are the
# smallest that run the app.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402 - after sys.path and the settings module are set

django.setup()

import django_workfront_oauth  # noqa: E402

project = "django-workfront-oauth"
author = "django-workfront-oauth contributors"
copyright = f"{date.today().year}, {author}"
release = django_workfront_oauth.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
]
# Celery is an optional dependency: without it, the tasks module is still documented.
if importlib.util.find_spec("celery") is None:
    autodoc_mock_imports = ["celery"]

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"show-inheritance": True}

exclude_patterns = ["_build"]
templates_path: list[str] = []
root_doc = "index"
language = "en"
pygments_style = "sphinx"

html_theme = "alabaster"
html_title = f"{project} {release}"
html_theme_options = {
    "description": "Workfront and Adobe IMS OAuth for Django",
    "fixed_sidebar": True,
    "show_relbars": True,
}
html_static_path: list[str] = []
