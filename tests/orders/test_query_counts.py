"""The orders pages run a constant number of queries whatever the row count.

Each page is measured with 5 orders and again with 60 (every order with lines, an invoice, a
delivery and tracking events); the counts must be equal. The counts include the session, the
user and the collaborator, which every page loads.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import DeliveryEvent
from tests.factories import InvoiceFactory, OrderLineFactory
from tests.orders.helpers import full_order, local

LIST = reverse("orders:list")
HTMX = {"HX-Request": "true", "HX-Target": "list-results"}
# per_page=100 so that every row of both data sets is on the page being measured.
FILTERS = {"status": "placed", "created_from": "2025-01-01", "per_page": "100"}


def make_orders(account, count, start=0):
    for i in range(start, start + count):
        full_order(account, number=f"{700_000 + i}", created_at=local(2026, 1, 1 + i % 28))


def count_queries(client, url, params=None, headers=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {}, headers=headers or {})
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, response.status_code
    return len(queries), response


PAGES = {
    "list": (FILTERS, None),
    "list, sorted by customer": ({**FILTERS, "sort": "customer"}, None),
    "htmx partial": (FILTERS, HTMX),
    "export": ({**FILTERS, "export": "xlsx"}, None),
}


@pytest.mark.parametrize("page", PAGES)
def test_list_pages_run_the_same_queries_for_5_and_60_orders(page, client_for, alice, account_a):
    params, headers = PAGES[page]
    client = client_for(alice)
    make_orders(account_a, 5)
    client.get(LIST)  # the first request of a session may do one-off work (last access)
    small, response = count_queries(client, LIST, params, headers)
    if not response.streaming:
        assert len(response.context["table"].page.object_list) == 5
    make_orders(account_a, 55, start=5)
    large, response = count_queries(client, LIST, params, headers)
    if not response.streaming:
        assert len(response.context["table"].page.object_list) == 60
    assert small == large, f"{page}: {small} queries with 5 orders, {large} with 60"


def test_the_list_page_runs_a_known_number_of_queries(client_for, alice, account_a):
    """Session, user, collaborator (+ modules), the accounts for "Revenda", the page of orders
    with customer and delivery joined, and their invoices. A change here is worth a look."""
    client = client_for(alice)
    make_orders(account_a, 12)
    client.get(LIST)
    queries, _response = count_queries(client, LIST, FILTERS)
    assert queries <= 8, queries


def test_the_list_does_not_count_the_whole_table(client_for, alice, account_a):
    make_orders(account_a, 12)
    client = client_for(alice)
    with CaptureQueriesContext(connection) as queries:
        client.get(LIST, {"page": "2"})
    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]


def test_the_order_detail_runs_the_same_queries_for_a_small_and_a_large_order(
    client_for, alice, account_a
):
    client = client_for(alice)
    small_order = full_order(account_a, lines=1, events=1)
    large_order = full_order(account_a, lines=40, events=25)
    for _ in range(3):
        InvoiceFactory(order=large_order)
    # Warm the process-wide caches (content types) that the first detail page fills.
    client.get(reverse("orders:detail", args=[small_order.number]))
    small, _response = count_queries(client, reverse("orders:detail", args=[small_order.number]))
    large, response = count_queries(client, reverse("orders:detail", args=[large_order.number]))
    assert len(response.context["lines"]) == 40
    assert small == large, f"detail: {small} queries for a small order, {large} for a large one"


def test_the_detail_shows_more_lines_without_more_queries(client_for, alice, account_a):
    client = client_for(alice)
    order = full_order(account_a, lines=1, events=1)
    url = reverse("orders:detail", args=[order.number])
    client.get(url)
    before, _response = count_queries(client, url)
    for i in range(20):
        OrderLineFactory(order=order, line_number=100 + i)
        DeliveryEvent.objects.create(
            delivery=order.delivery,
            occurred_at=order.created_at + dt.timedelta(days=i + 1),
            description=f"Mais {i}",
        )
    after, _response = count_queries(client, url)
    assert before == after
