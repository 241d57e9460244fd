"""Random query strings against every list page: never a 500.

The list pages are found by walking the URL resolver for views built on `ListPageView`, so each
new list (commissions, collaborators, NF report) is fuzzed the moment it is routed.
"""

from io import BytesIO
from urllib.parse import unquote_to_bytes, urlencode

import django_filters
import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from portal.lists import ListPageView
from tests.factories import OrderFactory


def _walk(patterns, namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{namespace}{p.name}", p


def list_pages():
    pages = {}
    for name, pattern in _walk(get_resolver().url_patterns):
        view_class = getattr(pattern.callback, "view_class", None)
        if view_class and issubclass(view_class, ListPageView):
            pages[name] = view_class
    return pages


LIST_PAGES = list_pages()


def test_the_list_pages_are_found():
    assert "orders:list" in LIST_PAGES


# Values ------------------------------------------------------------------------------------------

_text = st.text(
    alphabet=st.characters(exclude_categories=("Cs",)),  # lone surrogates cannot be UTF-8 encoded
    max_size=40,
)
_long = st.text(alphabet="0123456789aZ=-+@ %&", min_size=200, max_size=6000)
_numbers = st.integers(min_value=-(10**30), max_value=10**30).map(str)
_dates = st.dates().map(lambda d: d.isoformat())
_impossible_dates = st.tuples(st.integers(0, 99999), st.integers(0, 13), st.integers(0, 32)).map(
    lambda t: f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}"
)
_digits = st.text(alphabet="0123456789²١１", min_size=1, max_size=30)
_any = st.one_of(_text, _long, _numbers, _dates, _impossible_dates, _digits, st.just(""))


def _values_for(filter_, account_ids):
    """Plausible and implausible values for one filter."""
    options = [_any]
    if isinstance(filter_, django_filters.ModelChoiceFilter):
        options.append(st.sampled_from(account_ids))
    elif isinstance(filter_, django_filters.ChoiceFilter):
        choices = [str(value) for value, _label in filter_.extra.get("choices", [])]
        if choices:
            options.append(st.sampled_from(choices))
    elif isinstance(filter_, django_filters.DateFilter):
        options += [_dates, _impossible_dates]
    return st.one_of(*options)


def _sorts(view_class):
    names = list(view_class.table_class.base_columns)
    one = st.tuples(st.sampled_from(["", "-"]), st.sampled_from(names)).map("".join)
    return st.one_of(one, st.lists(one, max_size=3).map(",".join), _text)


def query_strings(view_class, account_ids):
    filters = view_class.filterset_class.base_filters
    pair = st.one_of(
        *(
            st.tuples(st.just(name), _values_for(filter_, account_ids))
            for name, filter_ in filters.items()
        ),
        st.tuples(
            st.just("per_page"),
            st.one_of(st.sampled_from(["10", "25", "50", "100"]), _numbers, _digits, _text),
        ),
        st.tuples(
            st.just("page"), st.one_of(st.integers(0, 5).map(str), _numbers, _digits, _long, _text)
        ),
        st.tuples(st.just("sort"), _sorts(view_class)),
        st.tuples(st.just("export"), st.one_of(st.just("xlsx"), _text)),
        st.tuples(_text, _any),  # junk keys
    )
    encoded = st.lists(pair, max_size=8).map(urlencode)
    # Raw fragments that no urlencode produces: broken escapes, bare separators.
    raw = st.text(alphabet="%&=;+?abXZ09FEC", max_size=12)
    return st.tuples(encoded, raw).map(lambda parts: "&".join(p for p in parts if p))


# The test ----------------------------------------------------------------------------------------


@pytest.fixture
def data(account_a, account_b):
    for _ in range(3):
        OrderFactory(account=account_a)
    OrderFactory(account=account_b)
    return [str(account_a.pk), str(account_b.pk), "0", "-1"]


def _check(response, query):
    if b"\x00" in unquote_to_bytes(query):
        # Refused before any view by portal/input_guard.py: PostgreSQL cannot hold a NUL.
        assert response.status_code == 400, f"?{query} answered {response.status_code}"
        return
    assert response.status_code == 200, f"?{query} answered {response.status_code}"
    if "Content-Disposition" in response:
        assert response["Content-Disposition"].startswith("attachment"), query
        assert response["Content-Type"].endswith("spreadsheetml.sheet"), query
        load_workbook(BytesIO(b"".join(response.streaming_content)), read_only=True)
        return
    assert response["Content-Type"].startswith("text/html"), query
    assert "table" in response.context, query
    if response.wsgi_request.GET.get("export") == "xlsx":
        # A report was asked for and none came: the filters must say why.
        assert response.context["filter"].form.errors, f"?{query}: no report and no error"


@pytest.mark.parametrize("name", sorted(LIST_PAGES))
def test_random_query_strings_never_break_a_list_page(name, client_for, alice, data):
    view_class = LIST_PAGES[name]
    url = reverse(name)
    client = client_for(alice)

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(query=query_strings(view_class, data), htmx=st.booleans())
    def fuzz(query, htmx):
        headers = {"HX-Request": "true", "HX-Target": "list-results"} if htmx else {}
        _check(client.get(f"{url}?{query}", headers=headers), query)

    fuzz()
