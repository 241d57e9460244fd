"""CommissionTotal, the count and net total per account, company and status that the list's
totals read: whatever writes the commissions, it equals adding the commissions up."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from commissions.models import Commission, CommissionTotal
from tests.commissions.helpers import S, added_up, commission, rollup

LIST = reverse("commissions:list")


def test_new_commissions_are_counted_by_account_company_and_status(account_a, account_b):
    commission(account_a, net="10.00")
    commission(account_a, net="5.50")
    commission(account_a, code="IMT", status=S.RELEASED, net="7.00")
    commission(account_b, net="1.00")
    assert rollup() == added_up()
    assert len(rollup()) == 3


def test_transitions_move_a_commission_between_totals(account_a):
    moving = commission(account_a, net="10.00")
    commission(account_a, net="3.00")
    moving.transition_to(S.RELEASED)
    moving.transition_to(S.REQUESTED)
    assert rollup() == added_up()
    assert CommissionTotal.objects.get(status=S.PROVISIONED).net_total == Decimal("3.00")
    assert CommissionTotal.objects.get(status=S.RELEASED).count == 0


@pytest.mark.parametrize("update_fields", [None, ["net_amount", "status"]])
def test_saving_a_changed_amount_or_status_moves_the_difference(account_a, update_fields):
    changed = commission(account_a, net="10.00")
    changed.net_amount = Decimal("12.34")
    changed.status = S.ON_HOLD
    changed.save(update_fields=update_fields)
    assert rollup() == added_up()


def test_saving_unrelated_fields_changes_no_total(account_a, django_assert_num_queries):
    untouched = commission(account_a, net="10.00")
    untouched.payment_document = "PG-1"
    with django_assert_num_queries(1):
        untouched.save(update_fields=["payment_document"])
    assert rollup() == added_up()


def test_deleting_a_commission_takes_it_out(account_a):
    gone = commission(account_a, net="10.00")
    commission(account_a, net="2.00")
    Commission.objects.filter(pk=gone.pk).delete()
    assert rollup() == added_up()


def test_refresh_recounts_what_bulk_writes_skipped(account_a):
    commission(account_a, net="10.00")
    Commission.objects.update(status=S.CANCELLED)  # a bulk write: no hooks
    assert rollup() != added_up()
    CommissionTotal.objects.refresh([account_a.pk])
    assert rollup() == added_up()


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status": "released"},
        {"company": "IMT"},
        {"status": "provisioned", "company": "IMB"},
        {"issued_from": "2020-01-01"},
        {"overdue": "true"},
    ],
)
def test_the_list_totals_equal_its_rows_by_the_rollup_or_by_adding_up(
    client_for, alice, account_a, account_b, params
):
    today = dt.date.today()
    for i, (status, code) in enumerate(
        [(S.RELEASED, "IMB"), (S.RELEASED, "IMT"), (S.PROVISIONED, "IMB"), (S.PAID, "IMT")] * 3
    ):
        commission(
            account_a,
            status=status,
            code=code,
            net=f"{i + 1}.10",
            due_date=today - dt.timedelta(days=i),
        )
    commission(account_b, status=S.RELEASED, net="99.00")
    response = client_for(alice).get(LIST, {**params, "per_page": "100"})
    rows = [row.record for row in response.context["table"].page.object_list]
    assert rows
    assert response.context["summary"] == {
        "count": len(rows),
        "net_total": sum(r.net_amount for r in rows),
    }
