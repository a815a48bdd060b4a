"""What every check shares: the id format, setting names as a site writes them, URL rules."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.checks import CheckMessage, Error

from ..conf import is_loopback_host, setting_name

__all__ = ["ID", "check_url", "is_https_or_loopback", "setting_name"]

ID = "django_workfront_oauth.{}".format


def check_url(value: str, name: str, what: str, error_ids: tuple[str, str]) -> list[CheckMessage]:
    """A base URL must be https:// (http:// only on loopback)."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [
            Error(
                f"{name} must be an absolute URL with a scheme, such as {what}.",
                hint=f"Set {name} to a URL such as {what}.",
                id=ID(error_ids[1]),
            )
        ]
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return [
            Error(
                f"{name} uses plain http:// on a host that is not loopback: tokens would "
                "cross the network unencrypted.",
                hint=f"Use https:// in {name}; plain http:// is only allowed for 127.0.0.1 "
                "and localhost (the local emulator).",
                id=ID(error_ids[0]),
            )
        ]
    return []


def is_https_or_loopback(url: str) -> bool:
    """IMS redirects only to HTTPS; plain HTTP on loopback is the local emulator's."""
    parts = urlsplit(url)
    return parts.scheme == "https" or is_loopback_host(parts.hostname)
