"""Keeping tokens and secrets out of tracebacks: what error reports and trackers print.

Django's HTML error report, its error e-mails and error trackers such as Sentry print the local
variables of every frame of a traceback. ``sensitive_variables`` hides named locals from Django's
report only; a tracker walks the frames itself. So the places where secrets live are cut off:

:func:`scrubbed_traceback` wraps each function through which tokens pass (the client's calls,
the connect flow, refreshes, the callback view, the key loader): an exception leaving it carries
a traceback that starts at the wrapper, whose own locals (the arguments) are cleared first. The
frames below, ours and the libraries' (``requests``' headers, the ORM's values), are in no
report; a note on the exception says where it was raised.
"""

from __future__ import annotations

import functools
import os
import traceback
from collections.abc import Callable
from typing import Any, TypeVar, cast

__all__ = ["scrubbed_traceback"]

_F = TypeVar("_F", bound=Callable[..., Any])


def _origin(error: BaseException) -> str:
    """``file.py:123 in function`` of the innermost frame: enough to find it, no locals."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{os.path.basename(last.filename)}:{last.lineno} in {last.name}"


def scrubbed_traceback(func: _F) -> _F:
    """Let exceptions out of ``func`` without the frames below it, and without its arguments.

    The exception itself is unchanged (type, message, attributes) and keeps a note of where it
    was raised (``add_note`` on Python 3.11+), so callers and logs still say what went wrong.
    Exceptions chained to it are dropped: their frames would hold the same secrets.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BaseException as err:
            error = err
        origin = _origin(error)
        # The arguments (tokens, codes, connections with tokens loaded) leave this frame first.
        args = kwargs = ()  # type: ignore[assignment]
        error.__cause__ = error.__context__ = None
        error.__suppress_context__ = True
        if hasattr(error, "add_note"):
            error.add_note(f"raised at {origin} (frames below hidden: they held secrets)")
        raise error.with_traceback(None)

    return cast(_F, wrapper)
