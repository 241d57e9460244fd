"""CommissionMonth: commissions released and paid per account and month, which the dashboard chart
reads. Bulk loads rebuild it from the status history with refresh(); transitions keep it in step
through record()."""

import datetime as dt

import pytest
from django.utils import timezone

from commissions.models import CommissionMonth, charted_status
from portal.models import StatusChange
from tests.commissions.helpers import S, commission
from tests.factories import CommissionRequestFactory, ResellerAccountFactory


def local(year, month, day, hour=12, minute=0):
    return timezone.make_aware(dt.datetime(year, month, day, hour, minute))


def moved(obj, frm, to, when):
    """A status change of `obj` recorded at `when` (history written by a bulk load)."""
    change = StatusChange.record(obj, field="status", frm=frm, to=to)
    StatusChange.objects.filter(pk=change.pk).update(changed_at=when)


def snapshot(accounts=None):
    """{(account id, "YYYY-MM", status): count}, leaving out rows that count nothing."""
    rows = CommissionMonth.objects.filter(count__gt=0)
    if accounts is not None:
        rows = rows.filter(account__in=accounts)
    return {(r.account_id, f"{r.month:%Y-%m}", r.status): r.count for r in rows}


@pytest.fixture
def other_account(reseller_a):
    return ResellerAccountFactory(reseller=reseller_a)


@pytest.mark.parametrize(
    ("frm", "to", "counted"),
    [
        (S.PROVISIONED, S.RELEASED, S.RELEASED),
        (S.ON_HOLD, S.RELEASED, S.RELEASED),
        (S.REQUESTED, S.RELEASED, None),  # back after a refused NF: released once already
        (S.IN_ANALYSIS, S.RELEASED, None),
        (S.APPROVED, S.PAID, S.PAID),
        (S.RELEASED, S.REQUESTED, None),
        (S.PROVISIONED, S.ON_HOLD, None),
        (S.PAID, S.REVERSED, None),
    ],
)
def test_only_first_releases_and_payments_are_charted(frm, to, counted):
    assert charted_status(frm, to) == counted


def test_refresh_counts_releases_and_payments_per_account_and_month(account_a, other_account):
    first, second, third = commission(account_a), commission(account_a), commission(other_account)
    moved(first, S.PROVISIONED, S.RELEASED, local(2026, 1, 10))
    moved(second, S.ON_HOLD, S.RELEASED, local(2026, 1, 20))
    moved(first, S.APPROVED, S.PAID, local(2026, 3, 2))
    moved(third, S.PROVISIONED, S.RELEASED, local(2026, 3, 5))

    CommissionMonth.objects.refresh([account_a.pk, other_account.pk])

    assert snapshot() == {
        (account_a.pk, "2026-01", S.RELEASED): 2,
        (account_a.pk, "2026-03", S.PAID): 1,
        (other_account.pk, "2026-03", S.RELEASED): 1,
    }


def test_refresh_ignores_moves_that_are_neither_and_other_models(account_a, reseller_a):
    made = commission(account_a)
    moved(made, S.PROVISIONED, S.RELEASED, local(2026, 1, 10))
    moved(made, S.RELEASED, S.REQUESTED, local(2026, 1, 11))
    moved(made, S.REQUESTED, S.RELEASED, local(2026, 1, 12))  # the NF was refused
    request = CommissionRequestFactory(reseller=reseller_a)
    request.pk = made.pk  # the same object id, another model: not a commission
    moved(request, "approved", "paid", local(2026, 1, 13))

    CommissionMonth.objects.refresh([account_a.pk])

    assert snapshot() == {(account_a.pk, "2026-01", S.RELEASED): 1}


def test_refresh_puts_a_move_in_its_month_in_the_portals_time_zone(account_a):
    # 23:30 on 31 January in São Paulo is already 1 February in UTC.
    moved(commission(account_a), S.PROVISIONED, S.RELEASED, local(2026, 1, 31, 23, 30))

    CommissionMonth.objects.refresh([account_a.pk])

    assert snapshot() == {(account_a.pk, "2026-01", S.RELEASED): 1}


def test_refresh_replaces_stale_counts_and_leaves_other_accounts_alone(account_a, account_b):
    CommissionMonth.objects.create(
        account=account_a, month=dt.date(2026, 1, 1), status=S.PAID, count=9
    )
    CommissionMonth.objects.create(
        account=account_b, month=dt.date(2026, 1, 1), status=S.PAID, count=4
    )
    moved(commission(account_a), S.APPROVED, S.PAID, local(2026, 2, 1))

    CommissionMonth.objects.refresh([account_a.pk])

    assert snapshot() == {
        (account_a.pk, "2026-02", S.PAID): 1,
        (account_b.pk, "2026-01", S.PAID): 4,
    }


def test_transitions_keep_the_counts_equal_to_a_refresh(account_a, other_account):
    made = [commission(account_a), commission(account_a), commission(other_account)]
    for one in made:
        one.transition_to(S.RELEASED)
    made[0].transition_to(S.REQUESTED)
    made[0].transition_to(S.RELEASED)  # request cancelled: not a second release
    made[0].transition_to(S.REQUESTED)
    made[0].transition_to(S.IN_ANALYSIS)
    made[0].transition_to(S.APPROVED)
    made[0].transition_to(S.PAID)
    this_month = f"{timezone.localdate():%Y-%m}"

    in_step = snapshot()
    CommissionMonth.objects.refresh([account_a.pk, other_account.pk])

    assert (
        in_step
        == snapshot()
        == {
            (account_a.pk, this_month, S.RELEASED): 2,
            (account_a.pk, this_month, S.PAID): 1,
            (other_account.pk, this_month, S.RELEASED): 1,
        }
    )


def test_a_transition_adds_to_an_existing_month(account_a):
    month = timezone.localdate().replace(day=1)
    CommissionMonth.objects.create(account=account_a, month=month, status=S.RELEASED, count=5)

    commission(account_a).transition_to(S.RELEASED)

    assert snapshot() == {(account_a.pk, f"{month:%Y-%m}", S.RELEASED): 6}
