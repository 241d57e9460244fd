"""CommissionTotal, the count and net total per account, company and status that the list's
totals read: the totals the list shows equal its rows, from the rollup or by adding up. That
every write of a commission keeps the rollup is tests/commissions/test_derived_data.py's."""

import datetime as dt

import pytest
from django.urls import reverse

from tests.commissions.helpers import S, commission

LIST = reverse("commissions:list")


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
