"""Proving that an instance works, end to end, without a user: ``manage.py workfront_check``.

For a Server-to-Server instance: a fresh token (the credential as configured now, not a stored
token) and the Workfront user it acts as. For a sign-in instance: Workfront and the token
endpoint answer, and the token endpoint accepts the client credentials, which it tells by how
it refuses a made-up authorization code (``invalid_grant``, not ``invalid_client``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..conf import InstanceSettings, app_settings
from ..exceptions import ReauthorizationRequired, WorkfrontOAuthError, WorkfrontUnavailable
from ..http import send
from ..providers import get_provider
from .server_to_server import renew_service_token, stored_service_connection

__all__ = ["InstanceCheck", "check_instance"]

#: The made-up code of the credentials probe: no server can have issued it.
PROBE_CODE = "workfront-check-not-a-real-code"


@dataclass
class InstanceCheck:
    """What ``check_instance`` found: lines to print, and the problem when it failed."""

    instance: str
    lines: list[str] = field(default_factory=list)
    problem: str = ""

    @property
    def ok(self) -> bool:
        """True when everything that could be checked works."""
        return not self.problem


def check_instance(name: str) -> InstanceCheck:
    """Check the instance ``name``; never raises for what it finds (``problem`` says it)."""
    result = InstanceCheck(name)
    try:
        found = app_settings.find_instance(name)
        if found is None:
            result.problem = f"No instance {name!r} is configured (WORKFRONT_OAUTH_INSTANCES)."
            return result
        settings = found
        result.lines.append(f"Instance {name!r}: {settings.provider}, Workfront at {settings.host}")
        if settings.is_server_to_server:
            _check_server_to_server(settings, result)
        else:
            _check_sign_in(settings, result)
    except (WorkfrontOAuthError, ValueError) as err:
        result.problem = str(err)
    except Exception as err:
        result.problem = f"Unexpected {type(err).__name__} while checking."
    return result


def _check_server_to_server(settings: InstanceSettings, result: InstanceCheck) -> None:
    # The stored row, renewed by force: the credential as configured now, in one request.
    connection = stored_service_connection(settings)
    renew_service_token(connection, force=True)
    result.lines.append(
        f"Adobe IMS issued a new token at {settings.ims_host} (client credentials, scopes "
        f"{','.join(settings.scopes)})."
    )
    provider = get_provider(settings)
    user = provider.workfront_user(host=settings.host, access_token=connection.access_token)
    who = " ".join(part for part in (user.name, f"<{user.email}>" if user.email else "") if part)
    result.lines.append(f"Workfront sees the technical account {who or user.id} (ID {user.id}).")


def _check_sign_in(settings: InstanceSettings, result: InstanceCheck) -> None:
    probe = send("GET", f"{settings.api_base_url}/USER/search", **settings.http_bounds)
    result.lines.append(f"Workfront answers at {settings.host} (HTTP {probe.status_code}).")
    provider = get_provider(settings)
    redirect_uri = settings.redirect_uri or "https://workfront-check.invalid/callback/"
    try:
        provider.exchange_code(host=settings.host, code=PROBE_CODE, redirect_uri=redirect_uri)
    except ReauthorizationRequired:
        result.lines.append(
            "The token endpoint accepted the client credentials (it refused a made-up code, "
            "as it should)."
        )
        return
    except WorkfrontUnavailable:
        raise
    raise WorkfrontOAuthError("The token endpoint accepted a made-up code: it is not the server.")
