"""What a setting's value means: durations, scopes, hosts. Pure functions, no Django settings.

:mod:`~django_workfront_oauth.conf` re-exports them, for the checks and the services.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "as_timedelta",
    "derive_domain_lane",
    "is_loopback_host",
    "normalise_host",
    "parse_scopes",
]

# <domain>.<lane>.workfront.com or <domain>.<lane>.workfront.adobe.com
_WORKFRONT_HOSTNAME = re.compile(
    r"^(?P<domain>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.(?P<lane>[a-z0-9-]+)\.workfront(?:\.adobe)?\.com$",
    re.IGNORECASE,
)


def as_timedelta(value: Any) -> timedelta:
    """Accept a ``timedelta`` or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a timedelta or a number of seconds, got {type(value).__name__}")
    return timedelta(seconds=value)


def parse_scopes(value: Any) -> tuple[str, ...]:
    """Accept a comma- or space-separated string, or a sequence of scopes."""
    if isinstance(value, str):
        items: list[str] = re.split(r"[\s,]+", value)
    else:
        items = [str(item) for item in value]
    return tuple(item.strip() for item in items if item.strip())


def is_loopback_host(hostname: str | None) -> bool:
    """True for ``localhost`` and loopback IP addresses, where plain HTTP is allowed."""
    if not hostname:
        return False
    if hostname.lower() == "localhost" or hostname.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(hostname.strip("[]")).is_loopback
    except ValueError:
        return False


def normalise_host(host: str) -> str:
    """The base URL as stored and compared: scheme and authority, lower case, no trailing slash."""
    parts = urlsplit(host.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def derive_domain_lane(host: str) -> tuple[str, str] | None:
    """``("acme", "my")`` for ``https://acme.my.workfront.com``; ``None`` for any other form."""
    match = _WORKFRONT_HOSTNAME.match(urlsplit(host).hostname or "")
    if match is None:
        return None
    return match["domain"].lower(), match["lane"].lower()
