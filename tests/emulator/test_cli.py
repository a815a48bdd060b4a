"""``python -m django_workfront_oauth.testing`` and ``manage.py workfront_emulator``."""

from __future__ import annotations

import argparse
import io
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from django.core.management import CommandError, call_command

from django_workfront_oauth.management.commands.workfront_emulator import Command
from django_workfront_oauth.testing import cli
from tests.emulator.helpers import OTHER_REDIRECT_URI, REDIRECT_URI, query_of, request_id

ROOT = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env.update(extra)
    return env


def _read_banner(process: subprocess.Popen[str], timeout: float = 15) -> list[str]:
    """The lines printed on start (read here: ``communicate()`` would skip buffered ones)."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            process.kill()
            pytest.fail("the emulator printed nothing")
    lines = [process.stdout.readline()]
    while lines[-1] and not lines[-1].startswith("Press Ctrl-C"):
        lines.append(process.stdout.readline())
    return lines


@pytest.fixture
def spawn() -> Iterator[Callable[..., tuple[subprocess.Popen[str], str]]]:
    """Start a command; return it and its banner (the first line ends with the base URL)."""
    processes: list[subprocess.Popen[str]] = []

    def start(*args: str, **env: str) -> tuple[subprocess.Popen[str], str]:
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=_env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        banner = "".join(_read_banner(process))
        assert banner.startswith("Workfront emulator running at http://127.0.0.1:"), (
            banner + process.stderr.read() if process.stderr else ""
        )
        return process, banner

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def _stop(process: subprocess.Popen[str], signum: int) -> tuple[int, str, str]:
    process.send_signal(signum)
    out, err = process.communicate(timeout=15)
    return process.returncode, out, err


def _connect(
    base_url: str, client_id: str, secret: str, username: str, password: str
) -> dict[str, str]:
    """The whole flow over HTTP, as a browser and a client would."""
    session = requests.Session()
    page = session.get(
        f"{base_url}/integrations/oauth2/authorize",
        params={
            "client_id": client_id,
            "redirect_uri": OTHER_REDIRECT_URI,
            "response_type": "code",
        },
        timeout=5,
    )
    rid = request_id(page.text)
    session.post(
        f"{base_url}/integrations/oauth2/login",
        data={"request_id": rid, "username": username, "password": password},
        timeout=5,
    )
    answer = session.post(
        f"{base_url}/integrations/oauth2/consent",
        data={"request_id": rid, "decision": "allow"},
        allow_redirects=False,
        timeout=5,
    )
    params = query_of(answer.headers["Location"])
    tokens = requests.post(
        f"{base_url}/integrations/oauth2/api/v1/token",
        data={
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": OTHER_REDIRECT_URI,
            "client_id": client_id,
            "client_secret": secret,
        },
        timeout=5,
    ).json()
    return {**params, **tokens}


def test_the_cli_serves_until_sigint(
    spawn: Callable[..., tuple[subprocess.Popen[str], str]],
) -> None:
    process, banner = spawn(
        "-m",
        "django_workfront_oauth.testing",
        "--port", "0",
        "--client-id", "cli-id",
        "--client-secret", "cli-secret",
        "--redirect-uri", REDIRECT_URI,
        "--redirect-uri", OTHER_REDIRECT_URI,
        "--domain", "globex",
        "--lane", "preview",
        "--no-rotation",
        "--username", "pat",
        "--password", "pat-pw",
        "--projects", "12",
        "--latency", "0",
        "--quiet",
    )  # fmt: skip
    base_url = banner.split()[4]

    result = _connect(base_url, "cli-id", "cli-secret", "pat", "pat-pw")
    refreshed = requests.post(
        f"{base_url}/integrations/oauth2/api/v1/token",
        json={"grant_type": "refresh_token", "refresh_token": result["refresh_token"]},
        auth=("cli-id", "cli-secret"),
        timeout=5,
    ).json()
    count = requests.get(
        f"{base_url}/attask/api/v21.0/PROJ/count",
        headers={"SessionID": result["access_token"]},
        timeout=5,
    ).json()
    status, out, _err = _stop(process, signal.SIGINT)

    assert (result["domain"], result["lane"]) == ("globex", "preview")
    assert "refresh_token" not in refreshed  # --no-rotation
    assert count == {"data": {"count": 12}}
    assert status == 0
    assert "username 'pat', password 'pat-pw'" in banner
    assert "cli-secret" not in banner
    assert out == "Workfront emulator stopped.\n"


def test_the_cli_stops_on_sigterm_and_logs_requests(
    spawn: Callable[..., tuple[subprocess.Popen[str], str]],
) -> None:
    process, banner = spawn(
        "-m", "django_workfront_oauth.testing", "--port", "0", "--redirect-uri", REDIRECT_URI
    )
    base_url = banner.split()[4]
    assert requests.get(base_url, timeout=5).status_code == 200

    status, out, err = _stop(process, signal.SIGTERM)

    assert status == 0
    assert out == "Workfront emulator stopped.\n"
    assert "username 'wfuser', password 'wfpass'" in banner
    assert '"GET / HTTP/1.1" 200' in err


def test_python_dash_m_help() -> None:
    # A subprocess: in-process runpy trips over pytest's assertion-rewriting import hook, which
    # claims this package because it ships a pytest plugin.
    result = subprocess.run(
        [sys.executable, "-m", "django_workfront_oauth.testing", "--help"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=30,
        check=False,
    )

    assert result.returncode == 0
    for option in ("--port", "--client-id", "--redirect-uri", "--no-rotation", "--latency"):
        assert option in result.stdout


def test_the_cli_needs_a_redirect_uri() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "django_workfront_oauth.testing", "--port", "0"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=30,
        check=False,
    )

    assert result.returncode == 2
    assert "--redirect-uri" in result.stderr


def test_the_management_command_in_a_subprocess(
    spawn: Callable[..., tuple[subprocess.Popen[str], str]],
) -> None:
    process, banner = spawn(
        "-m",
        "django",
        "workfront_emulator",
        "--settings=tests.settings",
        "--port=0",
        f"--redirect-uri={OTHER_REDIRECT_URI}",
        "--quiet",
        PYTHONPATH=str(ROOT),
    )
    base_url = banner.split()[4]

    # Client id and secret come from tests/settings.py.
    result = _connect(base_url, "test-client-id", "test-client-secret", "wfuser", "wfpass")
    status, out, _err = _stop(process, signal.SIGINT)

    assert result["token_type"] == "sessionID"
    assert status == 0
    assert "client_id 'test-client-id'" in banner
    assert out == "Workfront emulator stopped.\n"


def _when_serving(check: Callable[[], bool], signum: int) -> threading.Thread:
    """Send ``signum`` to this process once ``check()`` says the emulator is up."""

    def watch() -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if check():
                break
            time.sleep(0.05)
        # Only signal when the serve loop's handlers are in place, or the test run would die.
        if signum == signal.SIGINT or signal.getsignal(signal.SIGTERM) is cli._raise_stop:
            os.kill(os.getpid(), signum)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_the_management_command_in_process(settings: object) -> None:
    settings.WORKFRONT_OAUTH_REDIRECT_URI = REDIRECT_URI  # type: ignore[attr-defined]
    settings.WORKFRONT_OAUTH_DOMAIN = "initech"  # type: ignore[attr-defined]
    out = io.StringIO()
    watcher = _when_serving(lambda: "Press Ctrl-C" in out.getvalue(), signal.SIGTERM)

    call_command("workfront_emulator", "--port=0", "--quiet", "--projects=5", stdout=out)

    watcher.join(timeout=5)
    text = out.getvalue()
    assert "client_id 'test-client-id'; redirect URIs: " + REDIRECT_URI in text
    assert "WORKFRONT_OAUTH_DOMAIN=initech WORKFRONT_OAUTH_LANE=my" in text
    assert text.endswith("Workfront emulator stopped.\n")
    assert signal.getsignal(signal.SIGTERM) is not cli._raise_stop


def test_the_management_command_defaults_come_from_settings(settings: object) -> None:
    settings.WORKFRONT_OAUTH_REDIRECT_URI = REDIRECT_URI  # type: ignore[attr-defined]
    parser = Command().create_parser("manage.py", "workfront_emulator")

    defaults = vars(parser.parse_args([]))
    overridden = vars(parser.parse_args(["--client-id=x", "--redirect-uri=http://127.0.0.1/a"]))

    assert defaults["client_id"] == "test-client-id"
    assert defaults["client_secret"] == "test-client-secret"
    assert cli.emulator_from_options(defaults).redirect_uris == [REDIRECT_URI]
    assert overridden["client_id"] == "x"
    assert cli.emulator_from_options(overridden).redirect_uris == ["http://127.0.0.1/a"]


def test_main_in_process_until_ctrl_c(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    watcher = _when_serving(lambda: "Press Ctrl-C" in out.getvalue(), signal.SIGINT)

    status = cli.main(["--port", "0", "--redirect-uri", REDIRECT_URI, "--quiet"])

    watcher.join(timeout=5)
    assert status == 0
    assert out.getvalue().startswith("Workfront emulator running at http://127.0.0.1:")
    assert out.getvalue().endswith("Workfront emulator stopped.\n")


def test_the_cli_registers_the_ims_credential(
    spawn: Callable[..., tuple[subprocess.Popen[str], str]],
) -> None:
    process, banner = spawn(
        "-m",
        "django_workfront_oauth.testing",
        "--port", "0",
        "--ims-client-id", "ims-cli-id",
        "--ims-client-secret", "ims-cli-secret",
        "--ims-org-id", "CLIORG@AdobeOrg",
        "--ims-redirect-uri", OTHER_REDIRECT_URI,
        "--ims-scopes", "openid,workfront_api",
        "--ims-expires-in", "600",
        "--projects", "7",
        "--quiet",
    )  # fmt: skip
    base_url = banner.split()[4]

    session = requests.Session()
    page = session.get(
        f"{base_url}/ims/authorize/v2",
        params={
            "client_id": "ims-cli-id",
            "redirect_uri": OTHER_REDIRECT_URI,
            "scope": "openid,workfront_api",
            "response_type": "code",
        },
        timeout=5,
    )
    rid = request_id(page.text)
    session.post(
        f"{base_url}/integrations/oauth2/login",
        data={"request_id": rid, "username": "wfuser", "password": "wfpass"},
        timeout=5,
    )
    answer = session.post(
        f"{base_url}/integrations/oauth2/consent",
        data={"request_id": rid, "decision": "allow"},
        allow_redirects=False,
        timeout=5,
    )
    tokens = requests.post(
        f"{base_url}/ims/token/v3",
        data={
            "grant_type": "authorization_code",
            "code": query_of(answer.headers["Location"])["code"],
            "redirect_uri": OTHER_REDIRECT_URI,
        },
        auth=("ims-cli-id", "ims-cli-secret"),
        timeout=5,
    ).json()
    count = requests.get(
        f"{base_url}/attask/api/v21.0/PROJ/count",
        headers={
            "Authorization": f"Bearer {tokens['access_token']}",
            "x-api-key": "ims-cli-id",
            "x-gw-ims-org-id": "CLIORG@AdobeOrg",
        },
        timeout=5,
    ).json()
    offline = session.get(
        f"{base_url}/ims/authorize/v2",
        params={
            "client_id": "ims-cli-id",
            "redirect_uri": OTHER_REDIRECT_URI,
            "scope": "openid,offline_access",
            "response_type": "code",
        },
        allow_redirects=False,
        timeout=5,
    )
    status, _out, _err = _stop(process, signal.SIGINT)

    assert tokens["expires_in"] == 600
    assert "refresh_token" not in tokens  # offline_access was not asked for
    assert count == {"data": {"count": 7}}
    assert query_of(offline.headers["Location"])["error"] == "invalid_scope"  # not allowed
    assert status == 0
    assert (
        "Adobe IMS client_id 'ims-cli-id', org 'CLIORG@AdobeOrg'; redirect URIs: "
        + OTHER_REDIRECT_URI
        in banner
    )
    assert (
        f"IMS settings: WORKFRONT_OAUTH_PROVIDER=adobe_ims WORKFRONT_OAUTH_HOST={base_url} "
        f"WORKFRONT_OAUTH_IMS_HOST={base_url} WORKFRONT_OAUTH_IMS_ORG_ID=CLIORG@AdobeOrg" in banner
    )
    assert "OAuth2 app client_id 'emulator-client-id'; redirect URIs: none" in banner
    assert "ims-cli-secret" not in banner


def test_the_cli_ims_options_and_their_defaults() -> None:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)

    defaults = cli.emulator_from_options(vars(parser.parse_args(["--redirect-uri", REDIRECT_URI])))
    given = cli.emulator_from_options(
        vars(
            parser.parse_args(
                [
                    "--ims-redirect-uri=https://a.example/cb",
                    "--ims-redirect-uri=https://b.example/cb",
                    "--ims-scopes=openid AdobeID",
                    "--ims-refresh-lifetime=60",
                ]
            )
        )
    )

    assert defaults.ims_client_id == "emulator-ims-client-id"
    assert defaults.ims_redirect_uris == []
    assert defaults.ims_expires_in == 86399
    assert defaults.ims_app.refresh_inactivity_expiry == 14 * 24 * 3600
    assert given.ims_redirect_uris == ["https://a.example/cb", "https://b.example/cb"]
    assert given.redirect_uris == []
    assert given.ims_scopes_allowed == ("openid", "AdobeID")
    assert given.ims_app.refresh_inactivity_expiry == 60
    assert cli.missing_redirect_uri({"redirect_uris": None}) != ""


def test_the_management_command_takes_ims_defaults_from_adobe_ims_settings(
    settings: object,
) -> None:
    settings.WORKFRONT_OAUTH_PROVIDER = "adobe_ims"  # type: ignore[attr-defined]
    settings.WORKFRONT_OAUTH_IMS_ORG_ID = "SETORG@AdobeOrg"  # type: ignore[attr-defined]
    settings.WORKFRONT_OAUTH_REDIRECT_URI = REDIRECT_URI  # type: ignore[attr-defined]
    parser = Command().create_parser("manage.py", "workfront_emulator")

    emulator = cli.emulator_from_options(vars(parser.parse_args([])))

    assert emulator.ims_client_id == "test-client-id"
    assert emulator.ims_client_secret == "test-client-secret"
    assert emulator.ims_org_id == "SETORG@AdobeOrg"
    assert emulator.ims_redirect_uris == [REDIRECT_URI]


def test_the_management_command_needs_a_redirect_uri() -> None:
    with pytest.raises(CommandError, match="--ims-redirect-uri"):
        call_command("workfront_emulator", "--port=0", "--quiet")


@pytest.mark.parametrize(
    ("argv", "legacy", "ims"),
    [
        ([], (True, False), (True, False)),
        (["--no-require-redirect-uri", "--require-pkce"], (False, True), (False, True)),
        (["--ims-require-pkce", "--no-ims-require-redirect-uri"], (True, False), (False, True)),
        (
            ["--require-pkce", "--no-ims-require-pkce", "--no-require-redirect-uri"],
            (False, True),
            (False, False),
        ),
    ],
)
def test_the_strictness_switches(
    argv: list[str], legacy: tuple[bool, bool], ims: tuple[bool, bool]
) -> None:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)

    emulator = cli.emulator_from_options(vars(parser.parse_args(["--redirect-uri=x", *argv])))

    assert (emulator.app.require_redirect_uri, emulator.app.require_pkce) == legacy
    assert (emulator.ims_app.require_redirect_uri, emulator.ims_app.require_pkce) == ims


def test_the_management_command_takes_the_strictness_switches() -> None:
    parser = Command().create_parser("manage.py", "workfront_emulator")

    options = vars(parser.parse_args(["--no-require-redirect-uri", "--ims-require-pkce"]))
    emulator = cli.emulator_from_options({**options, "redirect_uris": [REDIRECT_URI]})

    assert not emulator.app.require_redirect_uri
    assert emulator.ims_app.require_pkce and not emulator.app.require_pkce


def test_options_built_by_hand_keep_the_strict_defaults() -> None:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    options = vars(parser.parse_args(["--redirect-uri=x"]))
    for switch in ("require_redirect_uri", "require_pkce", "ims_require_redirect_uri"):
        del options[switch]

    emulator = cli.emulator_from_options(options)

    assert emulator.app.require_redirect_uri and emulator.ims_app.require_redirect_uri
    assert not emulator.app.require_pkce
