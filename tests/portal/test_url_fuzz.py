"""Hostile values in every URL parameter: a 404 or a 400, never a 500.

PostgreSQL refuses a NUL in a string and SQLite does not, so these tests prove something only on
PostgreSQL (CI runs them there; locally `DATABASE_URL=postgres://...`). Every pattern with path
parameters is found by walking the URL resolver, so a new route is fuzzed the moment it exists;
a pattern whose parameters this test cannot fill in fails and says what to add.
"""

import re
from urllib.parse import quote

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, re_path, resolve
from django.urls.resolvers import _PATH_PARAMETER_COMPONENT_RE, RegexPattern, RoutePattern
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders.models import Order
from tests.factories import (
    CollaboratorFactory,
    CommissionFactory,
    InstallmentFactory,
    InvoiceFactory,
    OrderFactory,
    UserFactory,
)

# Statuses that a hostile value may get: the page itself, a redirect, or a refusal. Never 5xx.
ACCEPTABLE = {200, 301, 302, 400, 403, 404, 405}

# Control characters: PostgreSQL cannot store NUL, and no portal address holds any of them.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")

HOSTILE = [
    "\x00",
    "1\x00",
    "\x00\x00\x00",
    "%00",
    str(10**30),
    str(2**63),
    str(2**63 - 1),
    str(2**31),
    str(-(2**63) - 1),
    "-1",
    "0",
    "0" * 30 + "1",
    "9" * 5000,
    "x" * 5000,
    "١٢٣",  # Arabic-Indic digits: int() accepts them
    "１２３",  # fullwidth digits
    "²",
    "𝟗",
    "..",
    ".",
    "%",
    "%zz",
    "%2e%2e",
    "%252e",
    "a/b",
    " ",
    " 1",
    "1 ",
    "\t",
    "\n",
    "\r\n",
    "\x1b",
    "\x7f",
    "\u202e",
    "\ufeff",
    "😀",
    "1.5",
    "1e3",
    "0x10",
    "NaN",
    "+1",
    "-0",
]

_values = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), min_size=1, max_size=30),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.text(alphabet="0123456789١１²%./\x00 ", min_size=1, max_size=25),
)


# Finding the patterns -----------------------------------------------------------------------------


def _walk(patterns, prefix=()):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, (*prefix, p.pattern))
        elif isinstance(p, URLPattern):
            yield (*prefix, p.pattern), p


class Unfuzzable(Exception):
    pass


def _slot(name):
    return f"\x01{name}\x01"


def _regex_template(regex):
    """The literal text of a regex with each named group replaced by a slot, or Unfuzzable."""
    text = regex.removeprefix("^").removesuffix("$").removesuffix("\\Z")
    out, i = [], 0
    while i < len(text):
        match = re.compile(r"\(\?P<(\w+)>").match(text, i)
        if match:
            depth, j = 1, match.end()
            while depth and j < len(text):
                if text[j] == "\\":
                    j += 1
                elif text[j] == "(":
                    depth += 1
                elif text[j] == ")":
                    depth -= 1
                j += 1
            out.append(_slot(match.group(1)))
            i = j
            continue
        if text[i] in "\\.*+?[](){}|^$":
            raise Unfuzzable(f"regex {regex!r} has more than named groups and plain text")
        out.append(text[i])
        i += 1
    return "".join(out)


def _template(patterns):
    """The path with a slot per parameter, and the parameters' converters (None for regex)."""
    parts, converters = ["/"], {}
    for pattern in patterns:
        if isinstance(pattern, RoutePattern):
            route = str(pattern)
            for m in _PATH_PARAMETER_COMPONENT_RE.finditer(route):
                converters[m["parameter"]] = pattern.converters[m["parameter"]]
            parts.append(_PATH_PARAMETER_COMPONENT_RE.sub(lambda m: _slot(m["parameter"]), route))
        elif isinstance(pattern, RegexPattern):
            template = _regex_template(pattern.regex.pattern)
            for name in pattern.regex.groupindex:
                converters[name] = None
            parts.append(template)
        else:
            raise Unfuzzable(f"unknown pattern type {type(pattern).__name__}")
    return "".join(parts), converters


def patterns_with_parameters():
    found = {}
    for patterns, url_pattern in _walk(get_resolver().url_patterns):
        route = "".join(str(p) for p in patterns)
        if any(p.regex.groupindex for p in patterns):
            found[route] = (patterns, url_pattern)
    return found


PATTERNS = patterns_with_parameters()


def _is_admin(route):
    return route.startswith("admin/")


# Valid values for the parameters that are held still while another one is fuzzed.
@pytest.fixture
def base_values(account_a, stella, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    invoice = InvoiceFactory(order=OrderFactory(account=account_a))
    invoice.pdf.save("danfe.pdf", ContentFile(b"%PDF-1.4 sample"))
    collaborator = CollaboratorFactory(user=UserFactory(), reseller=account_a.reseller)
    commission = CommissionFactory(installment=InstallmentFactory(account=account_a))
    order_pk = str(invoice.order.pk)
    return {
        "pedidos/<str:number>/": {"number": invoice.order.number},
        "pedidos/nf/<int:pk>/<str:kind>/": {"pk": str(invoice.pk), "kind": "pdf"},
        "comissoes/<int:pk>/": {"pk": str(commission.pk)},
        "colaboradores/<int:pk>/": {"pk": str(collaborator.pk)},
        "colaboradores/<int:pk>/desativar/": {"pk": str(collaborator.pk)},
        "colaboradores/<int:pk>/reativar/": {"pk": str(collaborator.pk)},
        # Admin parameters by name, for every admin pattern.
        "admin": {
            "object_id": order_pk,
            "id": str(stella.pk),
            "content_type_id": str(ContentType.objects.get_for_model(Order).pk),
            "app_label": "orders",
            "url": "unknown-page/",
        },
    }


def _base(route, converters, base_values):
    values = base_values["admin"] if _is_admin(route) else base_values.get(route, {})
    missing = [name for name in converters if name not in values]
    if missing:
        raise Unfuzzable(
            f"no valid sample for {missing} in {route!r}: add one to base_values in this test"
        )
    return {name: values[name] for name in converters}


def _url(template, values, raw):
    url = template
    for name, value in values.items():
        text = value if raw else quote(value, safe="")
        if raw:  # only what would end the path: a real client sends these escaped too
            text = text.replace("?", "%3F").replace("#", "%23")
        url = url.replace(_slot(name), text)
    return url


def test_the_parameterised_patterns_are_found():
    routes = set(PATTERNS)
    assert "pedidos/<str:number>/" in routes
    assert "admin/orders/order/<path:object_id>/change/" in routes
    assert any(route.startswith("admin/^(?P<app_label>") for route in routes)


def test_a_pattern_this_test_cannot_fill_in_fails_with_a_clear_message():
    odd = re_path(r"^files/(?P<name>[a-z]+)\.(pdf|xml)$", lambda request, name: None)
    with pytest.raises(Unfuzzable, match="more than named groups"):
        _template([odd.pattern])
    _route, converters = _template([RoutePattern("x/<int:pk>/<slug:slug>/")])
    with pytest.raises(Unfuzzable, match=r"no valid sample for \['pk', 'slug'\]"):
        _base("x/<int:pk>/<slug:slug>/", converters, {})


# The fuzz -----------------------------------------------------------------------------------------


def _check(response, url, route):
    where = f"{route}: GET {url[:120]!r}"
    status = response.status_code
    assert status in ACCEPTABLE, f"{where} answered {status}"
    if CONTROL.search(response.wsgi_request.path_info):
        assert status in (400, 404), f"{where}: a control character answered {status}"


@pytest.mark.parametrize("route", sorted(PATTERNS))
def test_hostile_values_in_a_url_parameter_answer_404_or_400_never_500(
    route, base_values, client_for, alice, stella
):
    patterns, url_pattern = PATTERNS[route]
    try:
        template, converters = _template(patterns)
        base = _base(route, converters, base_values)
    except Unfuzzable as exc:
        pytest.fail(f"cannot fuzz URL pattern {route!r} ({url_pattern.name}): {exc}")
    base_url = _url(template, base, raw=False)
    assert resolve(base_url).func == url_pattern.callback, (
        f"{route}: the sample URL {base_url} does not reach this pattern; fix base_values"
    )
    client = client_for(stella if _is_admin(route) else alice)

    def attack(name, value, raw):
        url = _url(template, {**base, name: value}, raw)
        _check(client.get(url), url, route)

    # Raw and escaped, each distinct address once (digits read the same either way).
    urls = {
        _url(template, {**base, name: value}, raw)
        for name in converters
        for value in HOSTILE
        for raw in (True, False)
    }
    for url in sorted(urls):
        _check(client.get(url), url, route)

    @settings(
        max_examples=15,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(name=st.sampled_from(sorted(converters)), value=_values, raw=st.booleans())
    def fuzz(name, value, raw):
        attack(name, value, raw)

    fuzz()


# The attacks by name ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/pedidos/\x00/", "/pedidos/%00/", "/pedidos/A1%00/"])
def test_a_nul_byte_in_an_order_number_answers_404_not_500(path, client_for, alice):
    response = client_for(alice).get(path)
    assert response.status_code in (400, 404)


@pytest.mark.parametrize("number", [str(10**30), str(2**63), "-1", "9" * 5000])
def test_a_huge_number_as_a_commission_id_answers_404_not_500(number, client_for, alice):
    response = client_for(alice).get(f"/comissoes/{number}/")
    assert response.status_code == 404


@pytest.mark.parametrize("object_id", ["%00", str(10**30), str(2**63), "-1", "١٢٣"])
@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_a_hostile_object_id_in_an_admin_page_answers_without_a_500(
    view, object_id, client_for, stella
):
    response = client_for(stella).get(f"/admin/orders/order/{object_id}/{view}/")
    # The admin sends an unknown object back to the list with a message.
    assert response.status_code in (302, 400, 404)
