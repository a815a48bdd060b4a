"""The shipped French locale: the compiled catalogue is the .po's, it covers every string users
see, and the app's pages render in French.

No gettext tools are needed here: the .po is read by a small parser and the .mo by Python's
``gettext``. Regenerate both with ``make messages`` (which needs GNU gettext).
"""

from __future__ import annotations

import ast
import gettext
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from django_workfront_oauth.models import RefreshLog, WorkfrontConnection
from django_workfront_oauth.services import RefreshOutcome

PACKAGE = Path(__file__).resolve().parent.parent / "django_workfront_oauth"
MESSAGES = PACKAGE / "locale" / "fr" / "LC_MESSAGES"
PO = MESSAGES / "django.po"
MO = MESSAGES / "django.mo"

#: What users see: the app's own pages, the views' messages, the state words, the tag's label.
USER_FACING_PY = [
    "views.py",
    "states/vocabulary.py",
    "states/describe.py",
    "templatetags/workfront_oauth.py",
]
USER_FACING_TEMPLATES = sorted((PACKAGE / "templates" / "django_workfront_oauth").glob("*.html"))
#: What site admins see: the admin's modules, the models' names and help texts (its labels), the
#: app's name, and the admin templates.
ADMIN_PY = sorted(
    str(path.relative_to(PACKAGE))
    for path in [*PACKAGE.glob("admin/*.py"), *PACKAGE.glob("models/*.py"), PACKAGE / "apps.py"]
)
ADMIN_TEMPLATES = sorted((PACKAGE / "templates" / "admin").rglob("*.html"))
GETTEXT_FUNCTIONS = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy"}
NGETTEXT_FUNCTIONS = {"ngettext", "ngettext_lazy", "npgettext", "npgettext_lazy"}


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


def _template_blocks(source: str) -> list[tuple[str, str]]:
    """Each ``{% blocktranslate %}`` as msgids: its singular, and its plural (``""`` if none)."""
    blocks = []
    for options, block in re.findall(
        r"{%\s*blocktranslate([^%]*)%}(.*?){%\s*endblocktranslate\s*%}", source, re.DOTALL
    ):
        text = re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", block)
        if "trimmed" in options.split():
            text = " ".join(line.strip() for line in text.splitlines() if line.strip())
        singular, *plural = re.split(r"{%\s*plural\s*%}", text, maxsplit=1)
        blocks.append((singular, plural[0] if plural else ""))
    return blocks


def template_msgids(path: Path) -> set[str]:
    """The msgids of ``{% translate %}``, ``_("…")`` and ``{% blocktranslate %}`` in a template.

    A ``{% blocktranslate count … %}`` gives its singular (see :func:`template_plural_msgids`).
    """
    source = path.read_text(encoding="utf-8")
    found = set(re.findall(r'{%\s*(?:translate|trans)\s+"([^"]*)"', source))
    found |= set(re.findall(r"{%\s*(?:translate|trans)\s+'([^']*)'", source))
    found |= set(re.findall(r'\b_\("([^"]*)"\)', source))
    found |= {singular for singular, plural in _template_blocks(source) if not plural}
    return found


def template_plural_msgids(path: Path) -> set[str]:
    """The singular msgids of the ``{% blocktranslate count … %}…{% plural %}…`` in a template."""
    source = path.read_text(encoding="utf-8")
    return {singular for singular, plural in _template_blocks(source) if plural}


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _gettext_calls(path: Path, functions: set[str]) -> list[tuple[str, list[str | None]]]:
    """Each call of ``functions`` in a module: its name and its literal arguments."""
    calls = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        if name in functions:
            calls.append((name, [_literal(argument) for argument in node.args]))
    return calls


def python_msgids(path: Path) -> set[str]:
    """The msgids of the gettext functions' literal arguments in a module (``pgettext``'s with
    their context, as the .po keys them)."""
    found = set()
    for name, arguments in _gettext_calls(path, GETTEXT_FUNCTIONS):
        if name.startswith("pgettext"):
            context, message = arguments[0], arguments[-1]
            if context is not None and message is not None:
                found.add(f"{context}\x04{message}")
        elif arguments[0] is not None:
            found.add(arguments[0])
    return found


def python_plural_msgids(path: Path) -> set[str]:
    """The singular msgids of the ngettext functions' literal arguments in a module."""
    found = set()
    for name, arguments in _gettext_calls(path, NGETTEXT_FUNCTIONS):
        if name.startswith("npgettext"):
            context, singular = arguments[0], arguments[1] if len(arguments) > 1 else None
            if context is not None and singular is not None:
                found.add(f"{context}\x04{singular}")
        elif arguments[0] is not None:
            found.add(arguments[0])
    return found


def user_facing_msgids() -> set[str]:
    found: set[str] = set()
    for template in USER_FACING_TEMPLATES:
        found |= template_msgids(template)
    for module in USER_FACING_PY:
        found |= python_msgids(PACKAGE / module)
    found.discard("")
    return found


def admin_msgids() -> tuple[set[str], set[str]]:
    """The admin's msgids: singular ones, and the singulars of plural ones."""
    singular: set[str] = set()
    plural: set[str] = set()
    for template in ADMIN_TEMPLATES:
        singular |= template_msgids(template)
        plural |= template_plural_msgids(template)
    for module in ADMIN_PY:
        singular |= python_msgids(PACKAGE / module)
        plural |= python_plural_msgids(PACKAGE / module)
    singular.discard("")
    return singular, plural


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


def test_every_string_site_admins_see_is_translated_to_french() -> None:
    """The admin's modules, the models and the admin templates: a new string without French
    fails here (add it with ``make messages``, then translate it in the .po)."""
    entries = parse_po(PO)
    singular, plural = admin_msgids()
    assert len(singular) > 150 and len(plural) > 10, "the extraction found too little"
    assert "Connections at a glance" in singular and "Home" in singular  # the templates
    assert "%(counter)s connection in all" in plural  # a {% blocktranslate count %}
    assert "%(count)d instance activated." in plural  # an ngettext
    missing = sorted(msgid for msgid in singular if msgid not in entries)
    missing += sorted(msgid for msgid in plural if (msgid, 0) not in entries)
    assert not missing, f"not in the .po (run make messages): {missing}"
    untranslated = sorted(msgid for msgid in singular if not entries[msgid])
    untranslated += sorted(
        msgid for msgid in plural if not (entries[(msgid, 0)] and entries[(msgid, 1)])
    )
    assert not untranslated, f"no French yet: {untranslated}"


def test_the_whole_catalogue_is_translated() -> None:
    """No entry of the .po is left without French, whichever module it comes from."""
    untranslated = sorted(
        str(msgid) for msgid, msgstr in parse_po(PO).items() if msgid and not msgstr
    )
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


@pytest.mark.django_db
def test_the_admin_renders_in_french(admin_client: Client, make_connection: Any) -> None:
    """The connection list, a connection's page and the instance form, for a French site admin."""
    connection = make_connection()
    RefreshLog.record(connection, RefreshOutcome.REFRESHED.value)
    with translation.override("fr"):
        changelist = admin_client.get(
            reverse("admin:django_workfront_oauth_workfrontconnection_changelist")
        )
        change = admin_client.get(
            reverse("admin:django_workfront_oauth_workfrontconnection_change", args=[connection.pk])
        )
        add_instance = admin_client.get(
            reverse("admin:django_workfront_oauth_workfrontinstance_add")
        )
    assert changelist.status_code == change.status_code == add_instance.status_code == 200

    page = unescape(changelist.content.decode())
    assert "Les connexions en un coup d'œil" in page
    assert "1 connexion au total" in page
    assert "connexion utilise encore l'ancien service OAuth2 de Workfront" in page  # legacy
    assert "Santé des connexions, 14 derniers jours" in page
    assert "Ce que font les actions" in page
    for header in (
        "Utilisateur",
        "État",
        "Expiration du jeton d'accès",
        "Dernier rafraîchissement",
    ):
        assert f">{header}</a>" in page, header  # the sortable column headers
    for action in ("Rafraîchir maintenant", "Exiger une reconnexion", "Déconnecter (fermer"):
        assert action in page, action
    assert "Connections at a glance" not in page and "Refresh now" not in page

    page = unescape(change.content.decode())
    for fieldset in ("Connexion", "Utilisateur Workfront", "Jetons", "Santé"):
        assert f">{fieldset}</h2>" in page, fieldset
    assert "Jeton de rafraîchissement" in page and "Évolution prévue" in page
    assert "Nom de l'instance Workfront configurée (WORKFRONT_OAUTH_INSTANCES)." in page
    assert "L'ID de l'objet USER de Workfront." in page  # a help text
    assert "Ancienne connexion OAuth2 Workfront : elle cessera de fonctionner" in page
    assert "Historique des rafraîchissements (du plus récent au plus ancien)" in page
    assert "Renouvelée automatiquement" in page  # the inline's sentence
    assert "Workfront user" not in page and "Tokens" not in page

    page = unescape(add_instance.content.decode())
    assert "Informations d'identification" in page and "Valeurs par défaut modifiables" in page
    assert "Secret client" in page and "Définir ou remplacer : saisissez le secret" in page
    assert "URL de base, par exemple https://acme.my.workfront.com." in page
    assert "Utiliser PKCE" in page and "Vide : valeur par défaut de l'application." in page
    assert "Client secret" not in page and "Defaults you may override" not in page
