"""The shared list machinery (portal/lists.py, filters.py, tables.py, xlsx.py) on its own terms:
what every list page inherits, whichever list it is. Orders is the list used to drive it."""

import datetime as dt
import re
from decimal import Decimal
from io import BytesIO

import django_filters
import pytest
from django.db import connection
from django.http import QueryDict
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext
from openpyxl import load_workbook

from orders.models import Customer, Invoice, Order
from orders.views import OrderListView
from portal import lists, xlsx
from portal.filters import CNPJFilter, DateBoundFilter, PortalFilterSet
from portal.lists import _with_tiebreaker
from portal.templatetags.portal import brl, cnpj_filter
from tests.factories import CustomerFactory, InvoiceFactory, OrderFactory
from tests.orders.helpers import local, numbers

LIST = reverse("orders:list")


# Paging and the page-size selector --------------------------------------------------------------


def test_the_page_size_selector_offers_10_25_50_100_and_marks_the_current(
    client_for, alice, account_a
):
    html = client_for(alice).get(LIST, {"per_page": "50"}).content.decode()
    for size in (10, 25, 100):
        assert f'<option value="{size}">{size}</option>' in html
    assert '<option value="50" selected>50</option>' in html
    # "Exibindo N itens por página"
    assert gettext("Showing") in html
    assert gettext("items per page") in html


def test_page_links_keep_the_filters(client_for, alice, account_a):
    for _ in range(12):
        OrderFactory(account=account_a, status="placed")
    html = client_for(alice).get(LIST, {"status": "placed"}).content.decode()
    assert "?status=placed&amp;page=2" in html


def test_the_last_page_has_no_next_link(client_for, alice, account_a):
    for _ in range(12):
        OrderFactory(account=account_a)
    response = client_for(alice).get(LIST, {"page": "2"})
    assert len(numbers(response)) == 2
    assert 'rel="next"' not in response.content.decode()
    assert 'rel="prev"' in response.content.decode()


# Deep pages: OFFSET makes a page cost more the more rows it skips, so the depth is capped.

LISTS = ("orders:list", "commissions:list", "collaborators:list")
STOPS_HERE = (
    "The list stops at this page at %(per_page)s items per page. Narrow the filters, or "
    "download the consolidated report, to see the rows after it."
)


def too_deep(last, per_page):
    return gettext(
        "The list shows up to page %(last)s at %(per_page)s items per page. Narrow the filters, "
        "or download the consolidated report, to see the rows after that."
    ) % {"last": number_format(last, force_grouping=True), "per_page": per_page}


def offsets(queries):
    return [int(n) for q in queries for n in re.findall(r"OFFSET (\d+)", q["sql"])]


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("page", ["10000", "999999999", str(lists.MAX_OFFSET // 10 + 2)])
def test_no_page_number_makes_a_list_query_skip_more_than_the_cap(name, page, client_for, alice):
    """?page=10000&per_page=100 made PostgreSQL walk and drop a million rows for one request."""
    for per_page in ("10", "100"):
        with CaptureQueriesContext(connection) as queries:
            response = client_for(alice).get(reverse(name), {"page": page, "per_page": per_page})
        assert response.status_code == 200
        assert max(offsets(queries), default=0) <= lists.MAX_OFFSET, page
        assert response.context["errors"] == [
            too_deep(lists.MAX_OFFSET // int(per_page) + 1, per_page)
        ]


@pytest.fixture
def cap_of_20_rows(monkeypatch):
    """A cap of 20 skipped rows: at 10 per page the deepest page is page 3, rows 21–30."""
    monkeypatch.setattr(lists, "MAX_OFFSET", 20)


def test_a_page_past_the_cap_shows_the_message_and_page_1(
    cap_of_20_rows, client_for, alice, account_a
):
    for _ in range(45):
        OrderFactory(account=account_a)
    client = client_for(alice)
    first = numbers(client.get(LIST))
    response = client.get(LIST, {"page": "4"})
    assert response.status_code == 200
    assert response.context["errors"] == [too_deep(3, 10)]
    assert too_deep(3, 10) in response.content.decode()
    assert numbers(response) == first


def test_the_deepest_allowed_page_is_served_with_no_link_beyond_it(
    cap_of_20_rows, client_for, alice, account_a
):
    for _ in range(45):
        OrderFactory(account=account_a)
    client = client_for(alice)
    everything = numbers(client.get(LIST, {"per_page": "50"}))
    response = client.get(LIST, {"page": "3"})
    html = response.content.decode()
    assert response.context["errors"] == []
    assert numbers(response) == everything[20:30]
    assert 'rel="next"' not in html
    assert "page=4" not in html
    assert 'rel="prev"' in html
    assert gettext(STOPS_HERE) % {"per_page": 10} in html
    # The page before it still leads to it.
    assert 'rel="next"' in client.get(LIST, {"page": "2"}).content.decode()


def test_the_cap_counts_rows_so_bigger_pages_stop_sooner(
    cap_of_20_rows, client_for, alice, account_a
):
    for _ in range(80):
        OrderFactory(account=account_a)
    client = client_for(alice)
    # 25 per page: page 1 skips 0 rows, page 2 skips 25 > 20.
    response = client.get(LIST, {"page": "1", "per_page": "25"})
    assert 'rel="next"' not in response.content.decode()
    assert response.context["table"].paginator.more_beyond
    assert client.get(LIST, {"page": "2", "per_page": "25"}).context["errors"] == [too_deep(1, 25)]


def test_the_last_page_of_the_rows_at_the_cap_says_nothing_about_more(
    cap_of_20_rows, client_for, alice, account_a
):
    for _ in range(30):
        OrderFactory(account=account_a)
    response = client_for(alice).get(LIST, {"page": "3"})
    assert len(numbers(response)) == 10
    assert not response.context["table"].paginator.more_beyond
    assert gettext(STOPS_HERE) % {"per_page": 10} not in response.content.decode()


def test_page_1_the_deepest_page_and_a_page_past_the_cap_run_the_same_queries(
    cap_of_20_rows, client_for, alice, account_a
):
    for _ in range(45):
        OrderFactory(account=account_a)
    client = client_for(alice)
    client.get(LIST)  # the first request of a session may do one-off work (last access)
    counts = {}
    for page in ("1", "3", "4", "10000"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST, {"page": page}).status_code == 200
        counts[page] = len(queries)
    assert len(set(counts.values())) == 1, counts


def test_sort_links_start_again_at_page_1_and_keep_the_filters(client_for, alice, account_a):
    for _ in range(12):
        OrderFactory(account=account_a, status="placed")
    html = client_for(alice).get(LIST, {"status": "placed", "page": "2"}).content.decode()
    assert 'href="?status=placed&amp;sort=number"' in html
    assert "page=2&amp;sort" not in html


def test_the_sorted_column_says_so_to_screen_readers(client_for, alice, account_a):
    OrderFactory(account=account_a)
    html = client_for(alice).get(LIST, {"sort": "-number"}).content.decode()
    assert 'aria-sort="descending"' in html
    assert 'href="?sort=number"' in html  # clicking again sorts the other way


def test_an_unsortable_column_has_no_sort_link(client_for, alice, account_a):
    OrderFactory(account=account_a)
    html = client_for(alice).get(LIST).content.decode()
    assert "sort=invoice" not in html


def test_cells_carry_their_column_label_for_phone_cards(client_for, alice, account_a):
    OrderFactory(account=account_a)
    html = client_for(alice).get(LIST).content.decode()
    assert f'data-label="{gettext("Order number")}"' in html
    assert f'data-label="{gettext("Customer")}"' in html


def test_clear_filters_links_to_the_bare_list(client_for, alice, account_a):
    response = client_for(alice).get(LIST, {"status": "placed", "per_page": "25"})
    assert response.context["clear_url"] == LIST
    assert f'href="{LIST}">{gettext("Clear filters")}' in response.content.decode()


def test_the_filter_form_targets_the_results_with_htmx_and_works_without_it(
    client_for, alice, account_a
):
    html = client_for(alice).get(LIST).content.decode()
    # Without JavaScript the form is a plain GET to the list; htmx swaps the results only.
    assert f'method="get" action="{LIST}"' in html
    assert 'hx-target="#list-results"' in html
    assert 'hx-push-url="true"' in html
    assert 'id="list-results"' in html


# The order of the rows ---------------------------------------------------------------------------


def test_ties_are_settled_by_the_primary_key_in_the_sort_direction(db):
    descending = _with_tiebreaker(Order.objects.order_by("-created_at"))
    assert descending.query.order_by == ("-created_at", "-pk")
    ascending = _with_tiebreaker(Order.objects.order_by("status"))
    assert ascending.query.order_by == ("status", "pk")


def test_an_ordering_that_already_ends_with_the_key_is_left_alone(db):
    assert _with_tiebreaker(Order.objects.order_by("number", "-pk")).query.order_by == (
        "number",
        "-pk",
    )


def test_the_models_default_ordering_counts_as_the_ordering(db):
    # Order.Meta.ordering ends with -pk already; Customer's ("name") does not.
    assert _with_tiebreaker(Order.objects.all()).query.order_by == ()
    assert _with_tiebreaker(Customer.objects.all()).query.order_by == ("name", "pk")


# count_for: the number the dashboard tiles show ---------------------------------------------------


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_count_for_equals_the_rows_the_list_shows(client_for, alice, account_a, account_b):
    for status in ["placed", "placed", "credit_analysis"]:
        OrderFactory(account=account_a, status=status)
    OrderFactory(account=account_b, status="placed")
    params = QueryDict("status=placed")
    shown = numbers(client_for(alice).get(LIST, params))
    assert OrderListView.count_for(_request(alice.user), params) == len(shown) == 2


def test_count_for_invalid_filters_is_zero(alice, account_a):
    OrderFactory(account=account_a)
    assert OrderListView.count_for(_request(alice.user), QueryDict("status=nope")) == 0


# Filters -----------------------------------------------------------------------------------------


class CustomerFilterSet(PortalFilterSet):
    """A FilterSet over a model with a CNPJ, to try the filters other lists will use."""

    cnpj = CNPJFilter()
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Customer
        fields = []


class InvoiceFilterSet(PortalFilterSet):
    """A date column (not a datetime) behind a from-to pair."""

    issued_from = DateBoundFilter(field_name="issued_at", bound="from")
    issued_to = DateBoundFilter(field_name="issued_at", bound="to")

    class Meta:
        model = Invoice
        fields = []


@pytest.mark.parametrize(
    ("typed", "matches"),
    [
        ("01.771.935/0002-15", {"exact"}),
        ("01771935000215", {"exact"}),
        ("01.771.935", {"exact", "same root"}),
        ("01771935 0002", {"exact"}),
        ("", {"exact", "same root", "other"}),
    ],
)
def test_cnpj_filter_matches_with_or_without_punctuation_and_by_prefix(typed, matches, db):
    customers = {
        "exact": CustomerFactory(cnpj="01771935000215"),
        "same root": CustomerFactory(cnpj="01771935000304"),
        "other": CustomerFactory(cnpj="06241557000109"),
    }
    found = CustomerFilterSet({"cnpj": typed}, queryset=Customer.objects.all()).qs
    assert set(found) == {customers[name] for name in matches}


def test_date_bounds_on_a_date_column_are_inclusive(db):
    invoices = {day: InvoiceFactory(issued_at=dt.date(2026, 3, day)) for day in (9, 10, 12, 13)}
    found = InvoiceFilterSet(
        {"issued_from": "2026-03-10", "issued_to": "2026-03-12"}, queryset=Invoice.objects.all()
    ).qs
    assert set(found) == {invoices[10], invoices[12]}


def test_a_from_after_its_to_is_an_error_on_the_to_field(db):
    filterset = InvoiceFilterSet(
        {"issued_from": "2026-03-12", "issued_to": "2026-03-10"}, queryset=Invoice.objects.all()
    )
    assert not filterset.is_valid()
    assert filterset.form.errors.as_data()["issued_to"][0].code == "date_order"
    assert "is-invalid" in filterset.form["issued_to"].field.widget.attrs["class"]


def test_a_from_equal_to_its_to_is_fine(db):
    filterset = InvoiceFilterSet(
        {"issued_from": "2026-03-10", "issued_to": "2026-03-10"}, queryset=Invoice.objects.all()
    )
    assert filterset.is_valid()


def test_widgets_get_bootstrap_classes(db):
    form = InvoiceFilterSet(queryset=Invoice.objects.all()).form
    assert form.fields["issued_from"].widget.attrs["class"] == "form-control"
    assert form.fields["issued_from"].widget.input_type == "date"


# The xlsx writer ---------------------------------------------------------------------------------


def _write(columns, rows):
    stream = BytesIO()
    xlsx.write_rows(stream, columns, iter(rows))
    stream.seek(0)
    return list(load_workbook(stream).active.iter_rows())


def test_a_report_past_the_row_limit_is_refused_with_a_message_instead_of_a_long_wait(
    client_for, alice, account_a, settings
):
    settings.LIST_EXPORT_MAX_ROWS = 3
    for _ in range(4):
        OrderFactory(account=account_a, status="placed")

    response = client_for(alice).get(LIST, {"export": "xlsx"})

    assert response.status_code == 200
    assert "Content-Disposition" not in response
    with translation.override("pt-br"):
        expected = gettext(
            "The consolidated report holds at most %(limit)s rows, and these filters find more. "
            "Narrow them, for example to a shorter period, and download the report again."
        ) % {"limit": "3"}
    assert response.context["errors"] == [expected]
    assert expected in response.text


def test_a_report_at_the_row_limit_is_written(client_for, alice, account_a, settings):
    settings.LIST_EXPORT_MAX_ROWS = 3
    for _ in range(3):
        OrderFactory(account=account_a, status="placed")
    OrderFactory(account=account_a, status="completed")

    response = client_for(alice).get(LIST, {"export": "xlsx", "status": "placed"})

    assert response["Content-Disposition"].startswith("attachment")
    rows = list(load_workbook(BytesIO(b"".join(response.streaming_content))).active.values)
    assert len(rows) == 1 + 3


def test_the_writer_types_each_kind_of_cell():
    columns = (
        xlsx.Column("Quando", "a", "datetime"),
        xlsx.Column("Dia", "b", "date"),
        xlsx.Column("Valor", "c", "money"),
        xlsx.Column("Qtd", "d", "number"),
        xlsx.Column("Status", "e", "choice", {"placed": "Realizado"}),
        xlsx.Column("CNPJ", "f"),
    )
    moment = timezone.make_aware(dt.datetime(2026, 3, 10, 23, 30))
    header, row = _write(
        columns,
        [(moment, dt.date(2026, 3, 11), Decimal("3072.85"), 7, "placed", "01771935000215")],
    )
    assert [c.value for c in header] == ["Quando", "Dia", "Valor", "Qtd", "Status", "CNPJ"]
    when, day, money, count, status, cnpj = row
    assert when.value == dt.datetime(2026, 3, 10, 23, 30)
    assert when.number_format == xlsx.DATETIME_FORMAT
    assert day.value == dt.datetime(2026, 3, 11)
    assert day.number_format == xlsx.DATE_FORMAT
    assert (money.data_type, money.value, money.number_format) == ("n", 3072.85, xlsx.MONEY_FORMAT)
    assert (count.data_type, count.value) == ("n", 7)
    assert status.value == "Realizado"
    assert (cnpj.data_type, cnpj.value) == ("s", "01771935000215")


def test_the_writer_leaves_missing_values_empty_and_keeps_unknown_choices():
    columns = (xlsx.Column("A", "a", "money"), xlsx.Column("B", "b", "choice", {}))
    _header, row = _write(columns, [(None, "weird")])
    assert row[0].value is None
    assert row[1].value == "weird"


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", '=HYPERLINK("http://x","y")'])
def test_the_writer_writes_formula_triggers_as_text(text):
    _header, row = _write((xlsx.Column("A", "a"),), [(text,)])
    assert (row[0].data_type, row[0].value) == ("s", text)


def test_a_cell_after_a_formula_trigger_is_typed_afresh():
    # The writer reuses one cell per column; a text row must not leave its type to the next.
    columns = (xlsx.Column("A", "a", "number"),)
    _header, first, second = _write(columns, [("=1",), (5,)])
    assert first[0].data_type == "s"
    assert (second[0].data_type, second[0].value) == ("n", 5)


def test_the_writer_consumes_rows_as_it_goes():
    # Rows come from a database iterator; the writer must not need them all at once.
    consumed = []

    def rows():
        for i in range(3):
            consumed.append(i)
            yield (str(i),)

    stream = BytesIO()
    xlsx.write_rows(stream, (xlsx.Column("A", "a"),), rows())
    assert consumed == [0, 1, 2]


def test_the_report_reads_rows_with_a_chunked_iterator(db):
    rows = xlsx.queryset_rows(Order.objects.all(), (xlsx.Column("A", "number"),))
    assert not isinstance(rows, list | tuple)


def test_the_filename_has_the_date():
    assert xlsx.filename("pedidos", dt.date(2026, 3, 9)) == "pedidos-2026-03-09.xlsx"


# Money and CNPJ in templates ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("3072.85"), "R$ 3.072,85"),
        (Decimal("0"), "R$ 0,00"),
        (Decimal("1234567.8"), "R$ 1.234.567,80"),
        (Decimal("-50.5"), "R$ -50,50"),
        ("10", "R$ 10,00"),
        (None, "—"),
        ("", "—"),
    ],
)
def test_brl_formats_money_as_brazilians_write_it(value, shown):
    with translation.override("pt-br"):
        assert brl(value) == shown


def test_brl_leaves_what_is_not_a_number_alone():
    assert brl("n/a") == "n/a"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("01771935000215", "01.771.935/0002-15"),
        ("01.771.935/0002-15", "01.771.935/0002-15"),
        ("123", "123"),
        (None, ""),
        ("", ""),
    ],
)
def test_cnpj_formats_fourteen_characters_and_leaves_the_rest(value, shown):
    assert cnpj_filter(value) == shown


def test_money_is_shown_in_reais_on_the_detail_page(client_for, alice, account_a):
    order = OrderFactory(account=account_a, total=Decimal("3072.85"), created_at=local(2026, 1, 2))
    html = client_for(alice).get(reverse("orders:detail", args=[order.number])).content.decode()
    assert "R$ 3.072,85" in html
