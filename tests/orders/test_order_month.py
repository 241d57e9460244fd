"""OrderMonth: the orders per account × month of creation × status that the dashboard chart reads.
refresh() recounts it from scratch; shift() moves one order between counters. That every write of
an order keeps it is tests/orders/test_derived_data.py's."""

import datetime as dt

import pytest
from django.utils import timezone

from orders.models import Order, OrderMonth, month_of
from tests.factories import OrderFactory, ResellerAccountFactory

S = Order.Status


def local(year, month, day, hour=12):
    """An aware moment in the portal's time zone (America/Sao_Paulo)."""
    return timezone.make_aware(dt.datetime(year, month, day, hour))


def snapshot(accounts=None):
    """{(account id, "YYYY-MM", status): count}, leaving out rows that count nothing."""
    rows = OrderMonth.objects.filter(count__gt=0)
    if accounts is not None:
        rows = rows.filter(account__in=accounts)
    return {(r.account_id, f"{r.month:%Y-%m}", r.status): r.count for r in rows}


@pytest.fixture
def other_account(reseller_a):
    return ResellerAccountFactory(reseller=reseller_a)


def test_refresh_counts_orders_per_account_month_and_status(account_a, other_account):
    for _ in range(3):
        OrderFactory(account=account_a, status=S.COMPLETED, created_at=local(2026, 1, 10))
    OrderFactory(account=account_a, status=S.PLACED, created_at=local(2026, 1, 31, 20))
    OrderFactory(account=account_a, status=S.PLACED, created_at=local(2026, 2, 1, 8))
    OrderFactory(account=other_account, status=S.PLACED, created_at=local(2026, 1, 5))

    OrderMonth.objects.refresh([account_a.pk, other_account.pk])

    assert snapshot() == {
        (account_a.pk, "2026-01", S.COMPLETED): 3,
        (account_a.pk, "2026-01", S.PLACED): 1,
        (account_a.pk, "2026-02", S.PLACED): 1,
        (other_account.pk, "2026-01", S.PLACED): 1,
    }


def test_refresh_puts_an_order_in_its_month_in_the_portals_time_zone(account_a):
    # 23:30 on 31 January in São Paulo is already 1 February in UTC.
    OrderFactory(account=account_a, created_at=local(2026, 1, 31, 23).replace(minute=30))

    OrderMonth.objects.refresh([account_a.pk])

    assert snapshot() == {(account_a.pk, "2026-01", S.PLACED): 1}


def test_refresh_replaces_stale_counts(account_a):
    order = OrderFactory(account=account_a, status=S.PLACED, created_at=local(2026, 3, 3))
    OrderMonth.objects.filter(account=account_a, month=dt.date(2026, 3, 1)).update(count=9)
    OrderMonth.objects.create(
        account=account_a, month=dt.date(2025, 7, 1), status=S.BACKLOG, count=4
    )

    OrderMonth.objects.refresh([account_a.pk])

    assert snapshot() == {(account_a.pk, "2026-03", S.PLACED): 1}
    order.delete()
    OrderMonth.objects.refresh([account_a.pk])
    assert snapshot() == {}


def test_refresh_leaves_other_accounts_alone(account_a, account_b):
    OrderFactory(account=account_a, created_at=local(2026, 3, 3))
    OrderFactory(account=account_b, created_at=local(2026, 3, 3))
    OrderMonth.objects.filter(account=account_b).update(count=7)

    OrderMonth.objects.refresh([account_a.pk])

    assert snapshot() == {
        (account_a.pk, "2026-03", S.PLACED): 1,
        (account_b.pk, "2026-03", S.PLACED): 7,
    }


def test_refresh_accepts_a_generator_of_account_ids(account_a):
    OrderFactory(account=account_a, created_at=local(2026, 3, 3))

    OrderMonth.objects.refresh(a.pk for a in [account_a])

    assert snapshot() == {(account_a.pk, "2026-03", S.PLACED): 1}


def test_shift_moves_one_order_between_its_months_counters(account_a):
    orders = [
        OrderFactory(account=account_a, status=S.PLACED, created_at=local(2026, 3, 3))
        for _ in range(2)
    ]
    OrderMonth.objects.refresh([account_a.pk])

    OrderMonth.objects.shift(orders[0], S.PLACED, S.CREDIT_ANALYSIS)

    assert snapshot() == {
        (account_a.pk, "2026-03", S.PLACED): 1,
        (account_a.pk, "2026-03", S.CREDIT_ANALYSIS): 1,
    }


def test_shift_adds_to_an_existing_counter(account_a):
    placed = OrderFactory(account=account_a, status=S.PLACED, created_at=local(2026, 3, 3))
    OrderFactory(account=account_a, status=S.BACKLOG, created_at=local(2026, 3, 20))
    OrderMonth.objects.refresh([account_a.pk])

    OrderMonth.objects.shift(placed, S.PLACED, S.BACKLOG)

    assert snapshot() == {(account_a.pk, "2026-03", S.BACKLOG): 2}
    assert OrderMonth.objects.filter(status=S.BACKLOG).count() == 1


def test_month_of_is_the_first_day_in_the_portals_time_zone():
    assert month_of(dt.datetime(2026, 2, 1, 2, tzinfo=dt.UTC)) == dt.date(2026, 1, 1)
    assert month_of(dt.date(2026, 2, 17)) == dt.date(2026, 2, 1)
