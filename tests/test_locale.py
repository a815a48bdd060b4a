"""The shipped French locale: the compiled catalogue is the .po's, it covers every string users
see, and the app's pages render in French.

No gettext tools are needed here: the .po is read by a small parser and the .mo by Python's
``gettext``. Regenerate both with ``make messages`` (which needs GNU gettext).
"""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from django_workfront_oauth.models import WorkfrontConnection

PACKAGE = Path(__file__).resolve().parent.parent / "django_workfront_oauth"
MESSAGES = PACKAGE / "locale" / "fr" / "LC_MESSAGES"
PO = MESSAGES / "django.po"
MO = MESSAGES / "django.mo"

#: What users see: the app's own pages, the views' messages, the state words, the tag's label.
#: (The admin's strings are for site admins; they are in the .po too, translated or not.)
USER_FACING_PY = [
    "views.py",
    "states/vocabulary.py",
    "states/describe.py",
    "templatetags/workfront_oauth.py",
]
USER_FACING_TEMPLATES = sorted((PACKAGE / "templates" / "django_workfront_oauth").glob("*.html"))
GETTEXT_FUNCTIONS = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy"}


def _unquote(parts: list[str]) -> str:
    text = "".join(parts)
    return re.sub(r'\\(["\\nt])', lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), text)


def parse_po(path: Path) -> dict[Any, str]:
    """The .po's entries as Python's gettext keys them: ``msgid`` or ``(msgid, n)`` -> text.

    Fuzzy and obsolete entries are left out, as msgfmt leaves them out.
    """
    entries: dict[Any, str] = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.strip().splitlines() if line]
        if not lines or any(line.startswith("#~") for line in lines):
            continue
        if any(line.startswith("#,") and "fuzzy" in line for line in lines):
            continue
        fields: dict[str, list[str]] = {}
        current = ""
        for line in lines:
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) "(.*)"$', line)
            if match:
                current = match[1]
                fields[current] = [match[2]]
            else:
                fields[current].append(re.fullmatch(r'"(.*)"', line)[1])  # type: ignore[index]
        msgid = _unquote(fields["msgid"])
        if "msgctxt" in fields:
            msgid = f"{_unquote(fields['msgctxt'])}\x04{msgid}"
        if "msgid_plural" in fields:
            for key, value in fields.items():
                if key.startswith("msgstr["):
                    entries[(msgid, int(key[7:-1]))] = _unquote(value)
        else:
            entries[msgid] = _unquote(fields["msgstr"])
    return entries


def translated(entries: dict[Any, str]) -> dict[Any, str]:
    """The entries msgfmt compiles: those with a translation (the header too)."""
    by_msgid: dict[str, list[str]] = {}
    for key, value in entries.items():
        by_msgid.setdefault(key[0] if isinstance(key, tuple) else key, []).append(value)
    return {
        key: value
        for key, value in entries.items()
        if all(by_msgid[key[0] if isinstance(key, tuple) else key])
    }


def template_msgids(path: Path) -> set[str]:
    """The msgids of ``{% translate %}``, ``_("…")`` and ``{% blocktranslate %}`` in a template."""
    source = path.read_text(encoding="utf-8")
    found = set(re.findall(r'{%\s*(?:translate|trans)\s+"([^"]*)"', source))
    found |= set(re.findall(r'\b_\("([^"]*)"\)', source))
    for block in re.findall(
        r"{%\s*blocktranslate[^%]*%}(.*?){%\s*endblocktranslate\s*%}", source, re.DOTALL
    ):
        found.add(re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", block))
    return found


def python_msgids(path: Path) -> set[str]:
    """The literal first arguments of the gettext functions in a module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        if name not in GETTEXT_FUNCTIONS:
            continue
        argument = node.args[-1] if name.startswith("pgettext") else node.args[0]
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            found.add(argument.value)
    return found


def user_facing_msgids() -> set[str]:
    found: set[str] = set()
    for template in USER_FACING_TEMPLATES:
        found |= template_msgids(template)
    for module in USER_FACING_PY:
        found |= python_msgids(PACKAGE / module)
    found.discard("")
    return found


# -- the catalogue -----------------------------------------------------------------------------


def test_the_compiled_catalogue_is_the_po_file() -> None:
    """A .po edited without running ``make messages`` (compilemessages) fails here."""
    with MO.open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)._catalog  # type: ignore[attr-defined]
    expected = translated(parse_po(PO))
    # msgfmt drops POT-Creation-Date from the header; the header itself must be there.
    assert "charset=UTF-8" in catalogue.pop("") and expected.pop("")
    assert dict(catalogue) == expected


def test_every_string_users_see_is_translated_to_french() -> None:
    entries = parse_po(PO)
    msgids = user_facing_msgids()
    assert len(msgids) > 50, "the extraction found too little: is the regex still right?"
    missing = sorted(msgid for msgid in msgids if msgid not in entries)
    assert not missing, f"not in the .po (run make messages): {missing}"
    untranslated = sorted(msgid for msgid in msgids if not entries[msgid])
    assert not untranslated, f"no French yet: {untranslated}"


def test_the_translations_keep_every_placeholder() -> None:
    for msgid, msgstr in parse_po(PO).items():
        if isinstance(msgid, tuple) or not msgid or not msgstr:
            continue
        assert sorted(re.findall(r"%\(\w+\)[sd]", msgid)) == sorted(
            re.findall(r"%\(\w+\)[sd]", msgstr)
        ), msgid


def test_the_extraction_finds_what_the_templates_hold() -> None:
    found = template_msgids(PACKAGE / "templates" / "django_workfront_oauth" / "disconnect.html")
    assert "Disconnect your Workfront account?" in found
    assert any("%(host)s" in msgid for msgid in found)


# -- the pages in French -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_connections_page_renders_in_french(user_client: Client, make_connection: Any) -> None:
    connection = make_connection(
        status=WorkfrontConnection.Status.REAUTH_REQUIRED,
        last_error="Required by site admin 'root' through the admin action 'Require reconnection'.",
    )
    with translation.override("fr"):
        page = user_client.get(reverse("workfront_oauth:connections")).content.decode()
    assert '<html lang="fr">' in page
    assert "Vos connexions Workfront" in page
    assert "À reconnecter" in page
    assert "Un administrateur de ce site vous demande de connecter à nouveau" in page
    assert "Reconnecter</button>" in page and "Déconnecter</button>" in page
    WorkfrontConnection.objects.filter(pk=connection.pk).update(status="active", last_error="")
    with translation.override("fr"):
        page = user_client.get(reverse("workfront_oauth:connections")).content.decode()
    assert "Connecté" in page
    assert "arrête le 1 février 2027" in page  # the legacy notice, its date in French too


@pytest.mark.django_db
def test_the_connect_and_disconnect_pages_render_in_french(
    user_client: Client, make_connection: Any, settings: Any
) -> None:
    connection = make_connection()
    settings.LANGUAGE_CODE = "fr"
    connect = user_client.get(reverse("workfront_oauth:authorize")).content.decode()
    assert "Connectez votre compte Workfront" in connect
    assert "Connecter Workfront</button>" in connect
    disconnect = user_client.get(
        reverse("workfront_oauth:disconnect", args=[connection.pk])
    ).content.decode()
    assert "Déconnecter votre compte Workfront ?" in disconnect
    assert "Cela vous déconnecte aussi de Workfront pour ce site" in disconnect
