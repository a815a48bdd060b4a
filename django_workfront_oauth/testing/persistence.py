"""The emulator's sign-in state in a file, so that a restart keeps every connection alive.

What is kept: users, redirect URIs added at run time, pending and answered authorization
requests, unused codes, grants with their refresh tokens (the rotated-away ones too, so reuse is
still detected), live sessions and the clock's offset. What is not: the API's objects (the
seeded projects and tasks are the same on every start; what the API wrote is lost), counters,
faults, and the clients' settings, which come from the emulator's arguments each time.

The file is JSON, written atomically (a new file renamed over the old one) and readable by its
owner only: it holds live tokens.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from .common import Clock
from .state import GrantStore

#: A file's path, as the emulator takes it.
StatePath = str | os.PathLike[str]

#: What the file says it is, and the version of its layout.
FORMAT = "django-workfront-oauth emulator state"
VERSION = 1


def dump(store: GrantStore, clock: Clock) -> str:
    """The state as the JSON text of the file."""
    with store.lock:
        state = {
            "format": FORMAT,
            "version": VERSION,
            "clock_offset": clock.offset,
            **store.export_state(),
        }
    return json.dumps(state, indent=1)


def write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` at once, mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load(path: Path, store: GrantStore, clock: Clock) -> None:
    """Take back the state saved in ``path``; ``ValueError`` when it is not such a file."""
    try:
        state: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ValueError(f"{path} is not a readable emulator state file: {err}") from err
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path} is not an emulator state file")
    if state.get("version") != VERSION:
        raise ValueError(f"{path} has version {state.get('version')!r}; this emulator reads 1")
    with store.lock:
        store.import_state(state)
        clock.advance(float(state.get("clock_offset", 0.0)) - clock.offset)


class Autosaver:
    """Saves the state every ``interval`` seconds while it changes, and once more at the end."""

    def __init__(self, path: Path, store: GrantStore, clock: Clock, interval: float) -> None:
        self.path, self.store, self.clock, self.interval = path, store, clock, interval
        self._stop = threading.Event()
        self._written = ""
        self._thread = threading.Thread(
            target=self._run, name="workfront-emulator-autosave", daemon=True
        )

    def save(self) -> None:
        """Write the state now, unless the file already holds exactly it."""
        text = dump(self.store, self.clock)
        if text != self._written:
            write(self.path, text)
            self._written = text

    def start(self) -> None:
        """Begin saving in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the background saves and save one last time."""
        self._stop.set()
        self._thread.join(timeout=5)
        self.save()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            # A full disk must not stop the emulator: the next save, or the last, tries again.
            with contextlib.suppress(OSError):
                self.save()


class PersistentState:
    """``state_file``, ``save_state()`` and ``load_state()`` of :class:`WorkfrontEmulator`."""

    store: GrantStore
    clock: Clock
    #: Where the sign-in state is kept across restarts (``None``: nowhere).
    state_file: Path | None
    #: Seconds between two saves while running, when the state changed.
    autosave_interval: float
    _autosaver: Autosaver | None

    def _open_state_file(self, state_file: StatePath | None, autosave_interval: float) -> None:
        """Remember the file, and read it when it exists (the constructor calls this last)."""
        self.state_file = Path(state_file) if state_file is not None else None
        self.autosave_interval = autosave_interval
        self._autosaver = None
        if self.state_file is not None and self.state_file.exists():
            self.load_state(self.state_file)

    def _start_autosave(self) -> None:
        if self.state_file is not None:
            self._autosaver = Autosaver(
                self.state_file, self.store, self.clock, self.autosave_interval
            )
            self._autosaver.start()

    def _stop_autosave(self) -> None:
        if self._autosaver is not None:
            self._autosaver.stop()
            self._autosaver = None

    def save_state(self, path: StatePath | None = None) -> Path:
        """Write the sign-in state to ``path`` (``state_file`` by default); the path written."""
        target = Path(path) if path is not None else self.state_file
        if target is None:
            raise ValueError("give a path, or create the emulator with state_file")
        write(target, dump(self.store, self.clock))
        return target

    def load_state(self, path: StatePath) -> None:
        """Take back a state :meth:`save_state` wrote (``ValueError`` for another file)."""
        load(Path(path), self.store, self.clock)
