"""Status de pedidos: the list (access, scoping, every filter, sorting, paging, bad input, htmx),
the order's detail page and the invoice downloads."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils.translation import gettext

from orders.models import Delivery, DeliveryEvent, Order
from tests.factories import (
    CarrierFactory,
    CustomerFactory,
    DeliveryFactory,
    InvoiceFactory,
    OrderFactory,
    OrderLineFactory,
    ResellerAccountFactory,
)
from tests.orders.helpers import form_errors, full_order, local, numbers

LIST = reverse("orders:list")


@pytest.fixture
def a_order(account_a):
    return full_order(account_a, number="500000001", created_at=local(2026, 3, 10))


@pytest.fixture
def b_order(account_b):
    return full_order(account_b, number="500000009", created_at=local(2026, 3, 10))


# Access and scoping -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["olga", "alice"])
def test_orders_module_and_admin_see_their_resellers_orders(who, request, client_for, a_order):
    response = client_for(request.getfixturevalue(who)).get(LIST)
    assert response.status_code == 200
    assert numbers(response) == [a_order.number]


def test_it_requires_the_orders_module(client_for, bob, a_order):
    assert client_for(bob).get(LIST).status_code == 403


def test_it_sends_anonymous_users_to_login(client, a_order):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_it_refuses_staff_who_are_not_reseller_users(client_for, stella, a_order):
    assert client_for(stella).get(LIST).status_code == 403


def test_another_reseller_never_sees_our_orders(client_for, charlie, a_order, b_order):
    response = client_for(charlie).get(LIST)
    assert numbers(response) == [b_order.number]
    assert a_order.number not in response.content.decode()


def test_choosing_another_resellers_account_is_a_form_error_not_data(
    client_for, charlie, account_a, a_order, b_order
):
    response = client_for(charlie).get(LIST, {"account": account_a.pk})
    assert response.status_code == 200
    assert form_errors(response) == {"account": ["invalid_choice"]}
    assert numbers(response) == []
    assert a_order.number not in response.content.decode()


def test_revenda_offers_consolidated_and_only_our_accounts(
    client_for, alice, reseller_a, account_a, account_b
):
    second = ResellerAccountFactory(reseller=reseller_a)
    response = client_for(alice).get(LIST)
    choices = [
        (str(value), label)
        for value, label in response.context["filter"].form["account"].field.choices
    ]
    assert choices == [
        ("", gettext("Consolidated")),
        *sorted(
            [(str(account_a.pk), str(account_a)), (str(second.pk), str(second))], key=lambda c: c[1]
        ),
    ]
    assert gettext("Consolidated") == "Consolidado"
    assert account_b.code not in response.content.decode()


# Filters ----------------------------------------------------------------------------------------


def test_account_filter_shows_only_that_accounts_orders(client_for, alice, reseller_a, account_a):
    other = ResellerAccountFactory(reseller=reseller_a)
    mine = OrderFactory(account=account_a)
    OrderFactory(account=other)
    response = client_for(alice).get(LIST, {"account": account_a.pk})
    assert numbers(response) == [mine.number]


def test_consolidated_shows_every_account_of_the_reseller(client_for, alice, reseller_a, account_a):
    other = ResellerAccountFactory(reseller=reseller_a)
    orders = {OrderFactory(account=account_a).number, OrderFactory(account=other).number}
    response = client_for(alice).get(LIST, {"account": ""})
    assert set(numbers(response)) == orders


def test_status_filter(client_for, alice, account_a):
    wanted = OrderFactory(account=account_a, status=Order.Status.CREDIT_ANALYSIS)
    OrderFactory(account=account_a, status=Order.Status.PLACED)
    response = client_for(alice).get(LIST, {"status": "credit_analysis"})
    assert numbers(response) == [wanted.number]


def test_delivery_status_filter(client_for, alice, account_a):
    moving = DeliveryFactory(order=OrderFactory(account=account_a), status="in_transit").order
    DeliveryFactory(order=OrderFactory(account=account_a), status="delivered")
    OrderFactory(account=account_a)  # no delivery yet
    response = client_for(alice).get(LIST, {"delivery_status": Delivery.Status.IN_TRANSIT})
    assert numbers(response) == [moving.number]


def test_invoice_number_filter(client_for, alice, account_a):
    wanted = InvoiceFactory(order=OrderFactory(account=account_a), number="777001").order
    InvoiceFactory(order=OrderFactory(account=account_a), number="777002")
    response = client_for(alice).get(LIST, {"invoice": "777001"})
    assert numbers(response) == [wanted.number]


def test_an_order_with_two_invoices_is_listed_once(client_for, alice, account_a):
    order = OrderFactory(account=account_a)
    InvoiceFactory(order=order, number="777001", series="1")
    InvoiceFactory(order=order, number="777001", series="2")
    response = client_for(alice).get(LIST, {"invoice": "777001"})
    assert numbers(response) == [order.number]


def test_customer_filter_matches_part_of_the_name_ignoring_case(client_for, alice, account_a):
    wanted = OrderFactory(account=account_a, customer=CustomerFactory(name="Padaria Pão Quente"))
    OrderFactory(account=account_a, customer=CustomerFactory(name="Oficina do Zé"))
    response = client_for(alice).get(LIST, {"customer": "pão"})
    assert numbers(response) == [wanted.number]


def test_order_number_filter(client_for, alice, account_a):
    wanted = OrderFactory(account=account_a, number="123456")
    OrderFactory(account=account_a, number="1234567")
    response = client_for(alice).get(LIST, {"number": "123456"})
    assert numbers(response) == [wanted.number]


def test_customer_number_filter(client_for, alice, account_a):
    wanted = OrderFactory(account=account_a, customer=CustomerFactory(code="C-42"))
    OrderFactory(account=account_a, customer=CustomerFactory(code="C-43"))
    response = client_for(alice).get(LIST, {"customer_number": "C-42"})
    assert numbers(response) == [wanted.number]


def test_creation_dates_are_inclusive_local_days(client_for, alice, account_a):
    def at(moment):
        return OrderFactory(account=account_a, created_at=moment).number

    at(local(2026, 3, 9, 23, 59))  # the day before "from"
    first = at(local(2026, 3, 10, 0, 0))
    # 23:30 in São Paulo is already the next day in UTC: still the "to" day here.
    last = at(local(2026, 3, 12, 23, 30))
    at(local(2026, 3, 13, 0, 0))  # the day after "to"
    response = client_for(alice).get(
        LIST, {"created_from": "2026-03-10", "created_to": "2026-03-12"}
    )
    assert set(numbers(response)) == {first, last}


def test_a_single_day_range_includes_the_whole_day(client_for, alice, account_a):
    morning = OrderFactory(account=account_a, created_at=local(2026, 3, 10, 0, 1))
    night = OrderFactory(account=account_a, created_at=local(2026, 3, 10, 23, 59))
    response = client_for(alice).get(
        LIST, {"created_from": "2026-03-10", "created_to": "2026-03-10"}
    )
    assert set(numbers(response)) == {morning.number, night.number}


def test_filters_combine(client_for, alice, account_a):
    wanted = OrderFactory(account=account_a, status="placed", customer=CustomerFactory(name="Z"))
    OrderFactory(account=account_a, status="placed", customer=CustomerFactory(name="Y"))
    OrderFactory(account=account_a, status="backlog", customer=CustomerFactory(name="Z2"))
    response = client_for(alice).get(LIST, {"status": "placed", "customer": "z"})
    assert numbers(response) == [wanted.number]


def test_the_filter_form_keeps_the_values_it_was_given(client_for, alice, account_a):
    response = client_for(alice).get(LIST, {"customer": "Padaria", "status": "placed"})
    html = response.content.decode()
    assert 'value="Padaria"' in html
    assert '<option value="placed" selected>' in html


# Sorting, paging, empty state, links ------------------------------------------------------------


def test_it_sorts_newest_first_by_default(client_for, alice, account_a):
    old = OrderFactory(account=account_a, created_at=local(2026, 1, 1))
    new = OrderFactory(account=account_a, created_at=local(2026, 2, 1))
    assert numbers(client_for(alice).get(LIST)) == [new.number, old.number]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("number", ["100", "200", "300"]),
        ("-number", ["300", "200", "100"]),
        ("created_at", ["200", "300", "100"]),
        ("-created_at", ["100", "300", "200"]),
        ("customer", ["300", "100", "200"]),
    ],
)
def test_sorting_by_a_column_orders_the_rows(sort, expected, client_for, alice, account_a):
    for number, day, name in [("100", 3, "B"), ("200", 1, "C"), ("300", 2, "A")]:
        OrderFactory(
            account=account_a,
            number=number,
            created_at=local(2026, 1, day),
            customer=CustomerFactory(name=name),
        )
    assert numbers(client_for(alice).get(LIST, {"sort": sort})) == expected


def test_rows_with_equal_sort_keys_are_neither_repeated_nor_lost_across_pages(
    client_for, alice, account_a
):
    # Every order has the same status: only a tie-breaker makes OFFSET pages disjoint.
    made = {OrderFactory(account=account_a, created_at=local(2026, 1, 1)).number for _ in range(23)}
    client = client_for(alice)
    seen = []
    for page in (1, 2, 3):
        seen += numbers(client.get(LIST, {"sort": "status", "page": page}))
    assert sorted(seen) == sorted(made)


def test_per_page_25_shows_25_rows_and_a_next_page(client_for, alice, account_a):
    for day in range(1, 31):
        OrderFactory(account=account_a, created_at=local(2026, 1, day))
    client = client_for(alice)
    first = client.get(LIST, {"per_page": "25"})
    assert len(numbers(first)) == 25
    assert first.context["table"].page.has_next()
    second = client.get(LIST, {"per_page": "25", "page": "2"})
    assert len(numbers(second)) == 5
    assert set(numbers(first)).isdisjoint(numbers(second))


def test_the_default_page_size_is_10(client_for, alice, account_a):
    for _ in range(11):
        OrderFactory(account=account_a)
    assert len(numbers(client_for(alice).get(LIST))) == 10


def test_an_empty_result_shows_the_empty_text(client_for, alice, account_a):
    response = client_for(alice).get(LIST, {"customer": "ninguém"})
    assert response.status_code == 200
    assert numbers(response) == []
    assert gettext("No order matches these filters.") in response.content.decode()


def test_rows_link_to_the_order_detail(client_for, alice, a_order):
    html = client_for(alice).get(LIST).content.decode()
    assert f'href="{reverse("orders:detail", args=[a_order.number])}"' in html


def test_the_invoice_cell_links_to_its_pdf(client_for, alice, account_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    invoice = InvoiceFactory(order=OrderFactory(account=account_a))
    invoice.pdf.save("danfe.pdf", ContentFile(b"%PDF-1.4"))
    html = client_for(alice).get(LIST).content.decode()
    assert reverse("orders:invoice_file", args=[invoice.pk, "pdf"]) in html


def test_the_report_link_keeps_the_filters(client_for, alice, account_a):
    response = client_for(alice).get(LIST, {"status": "placed", "page": "1"})
    assert response.context["export_url"] == "?status=placed&export=xlsx"


# Bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"created_from": "2026-02-30"}, {"created_from": ["invalid"]}),
        ({"created_to": "30/02/2026"}, {"created_to": ["invalid"]}),
        (
            {"created_from": "2026-03-12", "created_to": "2026-03-10"},
            {"created_to": ["date_order"]},
        ),
        # A far-off year must not overflow when the local day's end is turned into UTC.
        ({"created_to": "9999-12-31"}, {"created_to": ["max_value"]}),
        ({"created_from": "0001-01-01"}, {"created_from": ["min_value"]}),
        ({"status": "shipped"}, {"status": ["invalid_choice"]}),
        ({"delivery_status": "lost"}, {"delivery_status": ["invalid_choice"]}),
        ({"number": "12a4"}, {"number": ["digits"]}),
        ({"number": "１２３"}, {"number": ["digits"]}),  # full-width digits are not digits here
        ({"invoice": "NF-1"}, {"invoice": ["digits"]}),
        ({"invoice": "1" * 21}, {"invoice": ["max_length"]}),
        ({"customer": "x" * 101}, {"customer": ["max_length"]}),
        ({"account": "abc"}, {"account": ["invalid_choice"]}),
        ({"account": "999999"}, {"account": ["invalid_choice"]}),
        ({"account": "9" * 30}, {"account": ["invalid_choice"]}),
    ],
)
def test_bad_filter_values_show_form_errors(params, errors, client_for, alice, a_order):
    response = client_for(alice).get(LIST, params)
    assert response.status_code == 200
    assert form_errors(response) == errors
    # Invalid filters show no rows rather than every row.
    assert numbers(response) == []
    assert "is-invalid" in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"page": "abc"},
        {"page": "0"},
        {"page": "-1"},
        {"page": "999999999999999999999"},
        {"page": "9" * 5000},  # longer than Python will turn into an int
        {"page": "²"},  # str.isdigit() says yes, int() says no
        {"page": "1.5"},
        {"per_page": "7"},
        {"per_page": "abc"},
        {"per_page": "1000"},
        {"per_page": "0"},  # Django's Paginator would divide by it
        {"per_page": "-5", "page": "2"},
        {"per_page": "²"},
    ],
)
def test_bad_paging_shows_a_message_and_the_first_page(params, client_for, alice, a_order):
    response = client_for(alice).get(LIST, params)
    assert response.status_code == 200
    assert response.context["errors"]
    assert numbers(response) == [a_order.number]
    assert response.context["table"].page.number == 1


def test_a_page_past_the_end_shows_a_message_and_the_first_page(client_for, alice, a_order):
    response = client_for(alice).get(LIST, {"page": "50"})
    assert response.status_code == 200
    assert response.context["errors"]
    assert numbers(response) == [a_order.number]


@pytest.mark.parametrize("sort", ["unknown_column", "invoice", "-", ",", "number;drop", "pk"])
def test_an_unknown_or_unsortable_column_is_ignored(sort, client_for, alice, account_a):
    old = OrderFactory(account=account_a, created_at=local(2026, 1, 1))
    new = OrderFactory(account=account_a, created_at=local(2026, 2, 1))
    response = client_for(alice).get(LIST, {"sort": sort})
    assert response.status_code == 200
    assert numbers(response) == [new.number, old.number]


def test_unknown_parameters_are_ignored(client_for, alice, a_order):
    response = client_for(alice).get(LIST, {"foo": "bar", "csrfmiddlewaretoken": "x"})
    assert response.status_code == 200
    assert not form_errors(response)
    assert numbers(response) == [a_order.number]


# htmx -------------------------------------------------------------------------------------------


def test_htmx_with_the_results_target_gets_only_the_results(client_for, alice, a_order):
    response = client_for(alice).get(
        LIST, {"status": "placed"}, headers={"HX-Request": "true", "HX-Target": "list-results"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="list-filters"' not in html
    assert 'name="per_page"' in html
    assert "<table" in html
    assert a_order.number in html


def test_htmx_without_the_results_target_gets_the_full_page(client_for, alice, a_order):
    response = client_for(alice).get(LIST, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" in html
    assert 'id="list-filters"' in html


def test_a_plain_request_gets_the_full_page(client_for, alice, a_order):
    html = client_for(alice).get(LIST).content.decode()
    assert "<html" in html
    assert 'id="list-filters"' in html
    assert 'name="per_page"' in html


def test_the_answer_varies_with_the_htmx_headers(client_for, alice, a_order):
    # A cache must not hand the partial to a full-page load of the same URL.
    vary = client_for(alice).get(LIST).headers.get("Vary", "")
    assert "HX-Target" in vary


def test_htmx_partial_shows_filter_errors(client_for, alice, a_order):
    response = client_for(alice).get(
        LIST, {"status": "nope"}, headers={"HX-Request": "true", "HX-Target": "list-results"}
    )
    assert response.status_code == 200
    assert numbers(response) == []
    assert "alert-danger" in response.content.decode()


# Order detail -----------------------------------------------------------------------------------


def detail(order):
    return reverse("orders:detail", args=[order.number])


def test_detail_shows_the_header_lines_invoice_and_delivery(
    client_for, olga, account_a, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    customer = CustomerFactory(name="Padaria Pão Quente", code="C-77", cnpj="01771935000215")
    order = OrderFactory(
        account=account_a,
        number="810000123",
        customer=customer,
        status=Order.Status.INVOICED,
        created_at=local(2026, 3, 10, 14, 5),
        total=Decimal("3072.85"),
    )
    OrderLineFactory(
        order=order,
        line_number=1,
        sku="NB-14",
        description="Notebook 14",
        quantity=Decimal("2"),
        unit_price=Decimal("1500.00"),
    )
    OrderLineFactory(
        order=order,
        line_number=2,
        sku="MS-01",
        description="Mouse sem fio",
        quantity=Decimal("3"),
        unit_price=Decimal("24.28"),
    )
    invoice = InvoiceFactory(
        order=order, number="4455", series="2", issued_at=dt.date(2026, 3, 11), access_key="3" * 44
    )
    invoice.pdf.save("danfe.pdf", ContentFile(b"%PDF"))
    invoice.xml.save("nfe.xml", ContentFile(b"<nfe/>"))
    delivery = DeliveryFactory(
        order=order,
        carrier=CarrierFactory(name="Jadlog"),
        status="in_transit",
        expected_date=dt.date(2026, 3, 20),
    )
    DeliveryEvent.objects.create(
        delivery=delivery, occurred_at=local(2026, 3, 13, 9), description="Saiu para entrega"
    )
    DeliveryEvent.objects.create(
        delivery=delivery, occurred_at=local(2026, 3, 12, 9), description="Coletado"
    )

    response = client_for(olga).get(detail(order))
    assert response.status_code == 200
    html = response.content.decode()
    for text in [
        "810000123",
        "10/03/2026 14:05",
        "Padaria Pão Quente",
        "C-77",
        "01.771.935/0002-15",
        "R$ 3.072,85",
        account_a.code,
        order.get_status_display(),
        # lines: SKU, description, quantity, unit price, line total
        "NB-14",
        "Notebook 14",
        "R$ 1.500,00",
        "R$ 3.000,00",
        "MS-01",
        "Mouse sem fio",
        "R$ 24,28",
        "R$ 72,84",
        # invoice
        "4455",
        "11/03/2026",
        "3" * 44,
        reverse("orders:invoice_file", args=[invoice.pk, "pdf"]),
        reverse("orders:invoice_file", args=[invoice.pk, "xml"]),
        # delivery
        "Jadlog",
        delivery.get_status_display(),
        "20/03/2026",
    ]:
        assert text in html, text
    # Tracking events read oldest first.
    assert html.index("Coletado") < html.index("Saiu para entrega")
    assert [line.sku for line in response.context["lines"]] == ["NB-14", "MS-01"]


def test_detail_of_an_order_without_invoice_or_delivery(client_for, alice, account_a):
    order = OrderFactory(account=account_a, customer=None)
    response = client_for(alice).get(detail(order))
    assert response.status_code == 200
    html = response.content.decode()
    assert gettext("Not invoiced yet.") in html
    assert gettext("No delivery yet.") in html
    assert gettext("Customer not found") in html


def test_detail_of_another_resellers_order_is_404(client_for, charlie, a_order):
    assert client_for(charlie).get(detail(a_order)).status_code == 404


def test_detail_of_an_unknown_number_is_404(client_for, alice, a_order):
    assert client_for(alice).get(reverse("orders:detail", args=["nope"])).status_code == 404


def test_detail_requires_the_orders_module(client_for, bob, a_order):
    assert client_for(bob).get(detail(a_order)).status_code == 403


def test_detail_sends_anonymous_users_to_login(client, a_order):
    response = client.get(detail(a_order))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


# Invoice downloads ------------------------------------------------------------------------------


@pytest.fixture
def invoice_a(account_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    invoice = InvoiceFactory(order=OrderFactory(account=account_a), number="4455", series="1")
    invoice.pdf.save("danfe.pdf", ContentFile(b"%PDF-1.4 danfe"))
    invoice.xml.save("nfe.xml", ContentFile(b"<nfeProc/>"))
    return invoice


def download(invoice, kind="pdf"):
    return reverse("orders:invoice_file", args=[invoice.pk, kind])


@pytest.mark.parametrize(("kind", "body"), [("pdf", b"%PDF-1.4 danfe"), ("xml", b"<nfeProc/>")])
def test_olga_downloads_the_invoice_as_an_attachment(kind, body, client_for, olga, invoice_a):
    response = client_for(olga).get(download(invoice_a, kind))
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert f'filename="NF-4455-1.{kind}"' in response.headers["Content-Disposition"]
    assert b"".join(response.streaming_content) == body


def test_download_of_another_resellers_invoice_is_404(client_for, charlie, invoice_a):
    assert client_for(charlie).get(download(invoice_a)).status_code == 404


def test_download_requires_the_orders_module(client_for, bob, invoice_a):
    assert client_for(bob).get(download(invoice_a)).status_code == 403


def test_download_of_a_file_missing_on_disk_is_404(client_for, alice, invoice_a):
    invoice_a.pdf.storage.delete(invoice_a.pdf.name)
    assert client_for(alice).get(download(invoice_a)).status_code == 404


def test_download_of_an_invoice_without_that_file_is_404(client_for, alice, account_a):
    invoice = InvoiceFactory(order=OrderFactory(account=account_a))
    assert client_for(alice).get(download(invoice)).status_code == 404


@pytest.mark.parametrize("kind", ["txt", "PDF", "access_key", "order"])
def test_download_of_another_kind_is_404(kind, client_for, alice, invoice_a):
    assert client_for(alice).get(download(invoice_a, kind)).status_code == 404


def test_download_of_an_unknown_invoice_is_404(client_for, alice, invoice_a):
    assert (
        client_for(alice).get(reverse("orders:invoice_file", args=[999999, "pdf"])).status_code
        == 404
    )


def test_download_of_an_invoice_id_beyond_any_integer_column_is_404(client_for, alice, invoice_a):
    url = reverse("orders:invoice_file", args=[10**20, "pdf"])
    assert client_for(alice).get(url).status_code == 404


def test_detail_of_a_number_longer_than_any_order_number_is_404(client_for, alice, a_order):
    url = reverse("orders:detail", args=["9" * 300])
    assert client_for(alice).get(url).status_code == 404
