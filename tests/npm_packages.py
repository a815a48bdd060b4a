"""npm packages the tests use, installed once with ``npm ci`` into a cache outside the tree.

A folder of the tests holds a ``package.json`` and its ``package-lock.json``; :func:`install`
runs ``npm ci --ignore-scripts`` from copies of them in
``$XDG_CACHE_HOME/django-workfront-oauth/<name>/<hash of the two files>`` (``~/.cache`` without
``XDG_CACHE_HOME``; the environment variable a caller names overrides the whole root), once:
later runs reuse that install. It is made in a temporary folder and renamed into place, so a
run interrupted half-way, or two runs at once, never leave a broken copy behind.

Used by the Workfront SDK test (``tests/sdk/``) and the accessibility check
(``tests/browser/a11y/``). Missing ``node`` or ``npm``, or a failed install, raise
:class:`NpmUnavailable`; each caller turns it into a skip, or a failure under CI.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

MANIFESTS = ("package.json", "package-lock.json")
INSTALL_TIMEOUT = 300


class NpmUnavailable(Exception):
    """``node`` or ``npm`` is missing, or ``npm ci`` failed: the reason is the message."""


def lock_hash(folder: Path) -> str:
    """A short hash of the folder's ``package.json`` and ``package-lock.json``."""
    digest = hashlib.sha256()
    for name in MANIFESTS:
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()[:16]


def cache_root(name: str, override_variable: str = "") -> Path:
    """Where installs of ``name`` live (``$<override_variable>`` when that is set)."""
    if override_variable and os.environ.get(override_variable):
        return Path(os.environ[override_variable])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "django-workfront-oauth" / name


def installed_key(target: Path) -> str | None:
    """The lock hash a finished install in ``target`` was made from."""
    marker = target / ".installed"
    return marker.read_text() if marker.is_file() else None


def install(folder: Path, root: Path, label: str) -> Path:
    """``<root>/<lock hash>/node_modules`` for ``folder``'s manifests, installed unless there.

    ``label`` names the packages in messages (``"the Workfront SDK"``).
    """
    key = lock_hash(folder)
    target = root / key
    if installed_key(target) == key:
        return target / "node_modules"
    if shutil.which("node") is None:
        raise NpmUnavailable("`node` is not installed (Debian: apt-get install nodejs npm)")
    npm = shutil.which("npm")
    if npm is None:
        raise NpmUnavailable("`npm` is not installed (Debian: apt-get install npm)")
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{key}-", dir=root))
    try:
        for name in MANIFESTS:
            shutil.copy2(folder / name, work / name)
        command = [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
        try:
            done = subprocess.run(
                command,
                cwd=work,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise NpmUnavailable(f"`npm ci` of {label} took over {INSTALL_TIMEOUT}s") from None
        if done.returncode != 0:
            raise NpmUnavailable(f"`npm ci` of {label} failed:\n{done.stdout}{done.stderr}")
        (work / ".installed").write_text(key)
        if target.exists():  # a stale or half-made copy, or a concurrent run's
            shutil.rmtree(target, ignore_errors=True)
        try:
            work.rename(target)
        except OSError:
            if installed_key(target) != key:
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target / "node_modules"
