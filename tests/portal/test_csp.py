"""The Content Security Policy (`SECURE_CSP` in portal/settings.py) on every response.

The walk takes its URLs from the resolver and its people from the URL-roles test, so a page is
covered the moment it is routed, and so are its redirects, 403 and 404 answers. Each response
must carry the policy, and each HTML page must hold nothing that the policy would block: an
inline script without the response's nonce, an on*= handler, a style attribute or element, a
javascript: URL. The browser tests (tests/browser/test_csp.py) prove the same in Chromium.
"""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import path, reverse

import portal.urls
from tests.portal.test_url_roles import (  # noqa: F401 - cast and sample_data are fixtures
    ROLES,
    _reverse,
    _url_names,
    cast,
    sample_data,
)

NONCE = re.compile(r"^'nonce-([A-Za-z0-9_-]{16,})'$")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href"}


def crash(request):
    raise RuntimeError("a bug in a view")


# The portal's own URLs plus one view that fails, for the 500 page (see the urls marker below).
urlpatterns = [*portal.urls.urlpatterns, path("falha/", crash)]


class Markup(HTMLParser):
    """The scripts of an HTML page, and whatever in it the policy would block whatever it says."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.scripts = []
        self.inline = []
        self._script = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self._script = {**attributes, "body": ""}
            self.scripts.append(self._script)
        elif tag == "style":
            self.inline.append("a <style> element")
        for name, value in attributes.items():
            if name.startswith("on"):
                self.inline.append(f"<{tag} {name}=...> (an inline handler)")
            elif name == "style":
                self.inline.append(f'<{tag} style="{value}">')
            elif name in URL_ATTRIBUTES and (value or "").strip().lower().startswith("javascript:"):
                self.inline.append(f"<{tag} {name}={value!r}>")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self._script = None

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._script["body"] += data


def policy_of(response):
    """The Content-Security-Policy header as {directive: [values]}; {} when it is missing."""
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        if part.strip():
            name, *values = part.split()
            directives[name] = values
    return directives


def nonce_of(policy):
    found = [m.group(1) for v in policy.get("script-src", []) if (m := NONCE.match(v))]
    return found[0] if found else None


def problems_with(response, where, *, portal_page=True):
    """Everything wrong with one response's policy and markup, as sentences."""
    policy = policy_of(response)
    if not policy:
        return [f"{where}: no Content-Security-Policy header"]
    problems = policy_problems(policy, where)
    if response.headers.get("X-Frame-Options") != "DENY":
        problems.append(f"{where}: X-Frame-Options is {response.headers.get('X-Frame-Options')}")
    if response.streaming or not response["Content-Type"].startswith("text/html"):
        return problems
    return problems + markup_problems(Markup(response.text), nonce_of(policy), where, portal_page)


def policy_problems(policy, where):
    problems = []
    for directive in ("object-src", "base-uri", "frame-ancestors"):
        if policy.get(directive) != ["'none'"]:
            problems.append(f"{where}: {directive} is {policy.get(directive)}, not 'none'")
    for directive in ("script-src", "style-src"):
        unsafe = {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'"} & set(policy[directive])
        if unsafe:
            problems.append(f"{where}: {directive} allows {sorted(unsafe)}")
    return problems


def markup_problems(markup, nonce, where, portal_page):
    problems = []
    if portal_page and markup.scripts and nonce is None:
        problems.append(f"{where}: the policy has no nonce for the page's scripts")
    for script in markup.scripts:
        given = script.get("nonce")
        if "src" not in script and given != nonce:
            problems.append(f"{where}: inline script without the response's nonce: {script}")
        elif given and given != nonce:
            problems.append(f"{where}: a script carries another nonce ({given}, not {nonce})")
    return problems + [f"{where}: {what}" for what in markup.inline]


def test_every_response_of_every_url_carries_the_policy_and_nothing_it_would_block(
    cast,  # noqa: F811 - the fixture imported above
    sample_data,  # noqa: F811
):
    problems, nonces, pages = [], [], 0
    for name in _url_names():
        url = _reverse(name, sample_data)
        for role in ROLES:
            response = cast[role].get(url)
            where = f"{name} ({url}) as {role}, {response.status_code}"
            problems += problems_with(response, where, portal_page=not name.startswith("admin:"))
            if response.get("Content-Type", "").startswith("text/html"):
                pages += 1
            if nonce := nonce_of(policy_of(response)):
                nonces.append(nonce)
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)
    # Each response draws its own nonce: a repeated one would let a script through twice.
    assert len(set(nonces)) == len(nonces), "a nonce was sent twice"
    assert pages > 500 and len(nonces) > 100  # the walk did reach the pages


def test_each_response_gets_a_fresh_nonce_that_its_scripts_carry(client_for, alice, account_a):
    client = client_for(alice)
    for url in (reverse("home"), reverse("orders:list"), reverse("collaborators:list")):
        first, second = client.get(url), client.get(url)
        nonces = [nonce_of(policy_of(first)), nonce_of(policy_of(second))]
        assert None not in nonces and nonces[0] != nonces[1], url
        for response, nonce in zip((first, second), nonces, strict=True):
            scripts = Markup(response.text).scripts
            assert scripts and all(s.get("nonce") == nonce for s in scripts), url
            assert not problems_with(response, url)


def test_the_list_pages_filter_script_is_a_static_file_with_the_nonce(client_for, alice):
    response = client_for(alice).get(reverse("orders:list"))
    nonce = nonce_of(policy_of(response))
    scripts = Markup(response.text).scripts
    filters = [s for s in scripts if s.get("src", "").endswith("/js/list-filters.js")]
    assert len(filters) == 1 and filters[0]["nonce"] == nonce
    assert all(s["body"].strip() == "" for s in scripts), "an inline script is back"


def test_the_policy_is_strict(client):
    policy = policy_of(client.get(reverse("account_login")))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"][0] == "'self'" and nonce_of(policy)
    assert len(policy["script-src"]) == 2
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]


@pytest.mark.urls(__name__)
def test_the_500_page_carries_the_policy_and_loads_its_scripts_by_src(db):
    response = Client(raise_request_exception=False).get("/falha/")
    assert response.status_code == 500
    # Rendered without the request, so it has no nonce: every script must be a file.
    assert not problems_with(response, "500", portal_page=False)
    assert all(s.get("src") for s in Markup(response.text).scripts)


def test_the_csrf_failure_page_is_the_portals_and_carries_the_policy(db):
    response = Client(enforce_csrf_checks=True).post(
        reverse("account_login"), {"login": "alice@revenda-a.example", "password": "x"}
    )
    assert response.status_code == 403
    assert not problems_with(response, "CSRF failure")
    assert "portal.css" in response.text


def test_a_bad_host_answer_carries_the_policy(db):
    response = Client().get(reverse("account_login"), HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert not problems_with(response, "400", portal_page=False)


def test_static_files_carry_the_policy_too(client):
    # An SVG opened by its own URL is a document: the policy keeps it from running scripts.
    response = client.get("/static/css/portal.css")
    assert response.status_code == 200
    assert policy_of(response)["object-src"] == ["'none'"]
