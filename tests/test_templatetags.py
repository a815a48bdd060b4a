"""``{% workfront_connect_button %}``: a plain POST form that starts the connect flow."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from django.middleware.csrf import get_token
from django.template import Context, RequestContext, Template
from django.test import RequestFactory
from django.urls import reverse


class FormParser(HTMLParser):
    """Collects the form's attributes, its inputs and its buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.inputs: dict[str, str] = {}
        self.buttons: list[dict[str, Any]] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.forms.append(values)
        elif tag == "input":
            self.inputs[str(values.get("name"))] = str(values.get("value"))
        elif tag == "button":
            self.buttons.append(values)
        elif tag == "script" or any(name.startswith("on") for name in values):
            self.scripts += 1


def render(source: str, request: Any = None, **context: Any) -> FormParser:
    template = Template("{% load workfront_oauth %}" + source)
    ctx = RequestContext(request, context) if request is not None else Context(context)
    parser = FormParser()
    parser.feed(template.render(ctx))
    return parser


def test_button_is_a_post_form_to_the_authorize_url_with_csrf_token(rf: RequestFactory) -> None:
    request = rf.get("/")
    get_token(request)
    form = render("{% workfront_connect_button %}", request)
    assert form.forms == [
        {
            "method": "post",
            "action": reverse("workfront_oauth:authorize"),
            "class": "workfront-connect",
        }
    ]
    # A masked form of the request's CSRF secret (accepted by the view: test_connect_flow).
    assert re.fullmatch(r"[A-Za-z0-9]{64}", form.inputs["csrfmiddlewaretoken"])
    assert form.inputs["instance"] == "default"
    assert "next" not in form.inputs


def test_button_works_without_javascript(rf: RequestFactory) -> None:
    form = render("{% workfront_connect_button %}", rf.get("/"))
    assert form.scripts == 0
    assert form.buttons == [{"type": "submit"}]


def test_button_carries_instance_and_next(rf: RequestFactory) -> None:
    form = render(
        '{% workfront_connect_button instance="sandbox" next="/projects/?page=2" %}', rf.get("/")
    )
    assert form.inputs["instance"] == "sandbox"
    assert form.inputs["next"] == "/projects/?page=2"


def test_button_takes_instance_and_next_from_variables(rf: RequestFactory) -> None:
    form = render(
        "{% workfront_connect_button instance=name next=request.path %}",
        rf.get("/here/"),
        name="eu",
    )
    assert form.inputs["instance"] == "eu"
    assert form.inputs["next"] == "/here/"


def test_button_label_default_and_custom(rf: RequestFactory) -> None:
    template = Template(
        "{% load workfront_oauth %}{% workfront_connect_button %}|"
        '{% workfront_connect_button label="Link it" %}'
    )
    html = template.render(RequestContext(rf.get("/")))
    assert re.findall(r"<button type=\"submit\">([^<]*)</button>", html) == [
        "Connect Workfront",
        "Link it",
    ]


def test_button_escapes_next(rf: RequestFactory) -> None:
    html = Template("{% load workfront_oauth %}{% workfront_connect_button next=evil %}").render(
        RequestContext(rf.get("/"), {"evil": '/x"><script>alert(1)</script>'})
    )
    assert "<script>" not in html
    assert "&quot;&gt;&lt;script&gt;" in html


def test_button_outside_a_request_renders_an_empty_csrf_token() -> None:
    form = render("{% workfront_connect_button %}")
    assert form.inputs["csrfmiddlewaretoken"] == ""
