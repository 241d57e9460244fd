"""The commission pages run a constant number of queries whatever the row count.

Each page is measured with 5 commissions and again with 60 (each paid, with a request, the
reseller's NF and a status history); the counts must be equal.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.models import StatusChange
from tests.commissions.helpers import paid_commission

LIST = reverse("commissions:list")
HTMX = {"HX-Request": "true", "HX-Target": "list-results"}
# per_page=100 so that every row of both data sets is on the page being measured.
FILTERS = {"status": "paid", "issued_from": "2020-01-01", "per_page": "100"}


def make_commissions(account, count, start=0):
    for i in range(start, start + count):
        paid_commission(account, invoice_number=f"{80_000_000 + i}", nf_number=str(1000 + i))


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
    "list, overdue": ({"overdue": "false", "per_page": "100"}, None),
    "htmx partial": (FILTERS, HTMX),
    "export": ({**FILTERS, "export": "xlsx"}, None),
}


@pytest.mark.parametrize("page", PAGES)
def test_list_pages_run_the_same_queries_for_5_and_60_commissions(
    page, client_for, alice, account_a
):
    params, headers = PAGES[page]
    client = client_for(alice)
    make_commissions(account_a, 5)
    client.get(LIST)  # the first request of a session may do one-off work (last access)
    small, response = count_queries(client, LIST, params, headers)
    if not response.streaming:
        assert len(response.context["table"].page.object_list) == 5
    make_commissions(account_a, 55, start=5)
    large, response = count_queries(client, LIST, params, headers)
    if not response.streaming:
        assert len(response.context["table"].page.object_list) == 60
    assert small == large, f"{page}: {small} queries with 5 commissions, {large} with 60"


def test_the_list_page_runs_a_known_number_of_queries(client_for, alice, account_a):
    """Session, user, collaborator (+ modules), the accounts for "Revenda", the companies for
    "Companhia", the page of commissions (installment, customer, company and the NF joined or
    subqueried) and the totals' one aggregate. A change here is worth a look."""
    client = client_for(alice)
    make_commissions(account_a, 12)
    client.get(LIST)
    queries, _response = count_queries(client, LIST, FILTERS)
    assert queries <= 9, queries


def totals_queries(client, params):
    with CaptureQueriesContext(connection) as queries:
        client.get(LIST, params)
    return [q["sql"].upper() for q in queries if "SUM(" in q["sql"].upper()], [
        q["sql"].upper() for q in queries if "COUNT(" in q["sql"].upper()
    ]


@pytest.mark.parametrize(
    "params", [{"page": "2"}, {"status": "released", "company": "IMB", "page": "2"}]
)
def test_totals_by_account_company_and_status_read_the_rollup_and_count_no_commission(
    client_for, alice, account_a, params
):
    make_commissions(account_a, 12)
    client = client_for(alice)
    client.get(LIST)
    sums, counts = totals_queries(client, params)
    assert len(sums) == 1
    assert "COMMISSIONS_COMMISSIONTOTAL" in sums[0]
    assert counts == []


def test_totals_under_other_filters_are_one_aggregate_of_the_filtered_rows(
    client_for, alice, account_a
):
    make_commissions(account_a, 12)
    client = client_for(alice)
    client.get(LIST)
    sums, counts = totals_queries(client, {"page": "2", "issued_from": "2020-01-01"})
    assert len(sums) == len(counts) == 1
    assert sums == counts
    assert "COMMISSIONS_COMMISSIONTOTAL" not in sums[0]


def test_the_detail_runs_the_same_queries_for_a_short_and_a_long_history(
    client_for, alice, stella, account_a
):
    client = client_for(alice)
    short, long = paid_commission(account_a), paid_commission(account_a)
    for i in range(30):
        StatusChange.record(long, field="status", frm="a", to="paid", by=stella, reason=f"{i}")
    client.get(reverse("commissions:detail", args=[short.pk]))  # content types, last access
    few, _response = count_queries(client, reverse("commissions:detail", args=[short.pk]))
    many, response = count_queries(client, reverse("commissions:detail", args=[long.pk]))
    assert len(response.context["history"]) == 30
    assert few == many, f"detail: {few} queries for a short history, {many} for a long one"
