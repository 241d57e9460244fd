"""The data derived from orders and kept beside them: OrderMonth (orders per account, month of
creation and status, which the dashboard chart reads) and Order.delivery_status (a copy of the
delivery's status, which the list filters on). After every way of writing orders and deliveries,
both equal a recount from scratch; the writes that cannot keep them are refused."""

import io
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import translation

from orders.models import Delivery, Order, OrderMonth
from portal import rollups
from tests.factories import DeliveryFactory, OrderFactory, ResellerAccountFactory
from tests.locks import at_once, postgres_only
from tests.orders.helpers import (
    assert_order_data_in_step,
    local,
    numbers,
    recounted_delivery_statuses,
    recounted_order_months,
    stored_order_months,
)

S = Order.Status
D = Delivery.Status
SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "erp"
ERP_FILES = [
    ("customers", "customers.csv"),
    ("orders", "orders.xlsx"),
    ("order_lines", "order_lines.csv"),
    ("invoices", "invoices.csv"),
    ("deliveries", "deliveries.csv"),
    ("installments", "installments.csv"),
    ("commissions", "commissions.csv"),
    ("payments", "payments.csv"),
]


def recounted():
    return recounted_order_months(), recounted_delivery_statuses()


@pytest.fixture
def world(account_a, account_b, reseller_a):
    """Orders of three accounts over three months, two of them with a delivery."""
    other = ResellerAccountFactory(reseller=reseller_a)
    orders = {
        name: OrderFactory(account=account, status=status, created_at=when)
        for name, account, status, when in [
            ("placed", account_a, S.PLACED, local(2026, 1, 10)),
            # Still January in São Paulo, February in UTC.
            ("late", account_a, S.PLACED, local(2026, 1, 31, 23, 30)),
            ("analysis", account_a, S.CREDIT_ANALYSIS, local(2026, 2, 3)),
            ("backlog", other, S.BACKLOG, local(2026, 2, 14)),
            ("invoiced", account_b, S.INVOICED, local(2025, 12, 1)),
        ]
    }
    deliveries = {
        "backlog": DeliveryFactory(order=orders["backlog"]),
        "invoiced": DeliveryFactory(order=orders["invoiced"], status=D.IN_TRANSIT),
    }
    # Each case starts from a recount, so that it shows what its own write does.
    OrderMonth.objects.refresh([account_a.pk, account_b.pk, other.pk])
    return SimpleNamespace(a=account_a, b=account_b, other=other, o=orders, d=deliveries)


def _new_orders(w):
    return [
        Order(account=w.a, number="BULK-1", status=S.BACKLOG, created_at=local(2026, 3, 2)),
        Order(account=w.other, number="BULK-2", status=S.PLACED, created_at=local(2026, 1, 5)),
    ]


def _save(obj, update_fields=None, **values):
    for name, value in values.items():
        setattr(obj, name, value)
    obj.save(update_fields=update_fields)


def _bulk_create(w):
    made = Order.objects.bulk_create(_new_orders(w))
    Delivery.objects.bulk_create(
        [Delivery(order=made[0], status=D.IN_TRANSIT), Delivery(order=w.o["placed"])]
    )


def _bulk_create_then_refresh(w):
    """What a bulk load does: bulk_create, then the documented bulk path."""
    _bulk_create(w)
    OrderMonth.objects.refresh([w.a.pk, w.b.pk, w.other.pk])
    Order.objects.filter(account__in=[w.a, w.other]).sync_delivery_status()


def _bulk_update_orders(w):
    placed, backlog = w.o["placed"], w.o["backlog"]
    placed.status, placed.account = S.CANCELLED, w.b
    backlog.created_at = local(2026, 4, 1)
    Order.objects.bulk_update([placed, backlog], ["status", "account", "created_at"])


def _bulk_update_deliveries(w):
    backlog, invoiced = w.d["backlog"], w.d["invoiced"]
    backlog.status, invoiced.order = D.DELIVERED, w.o["placed"]
    Delivery.objects.bulk_update([backlog, invoiced], ["status", "order"])


def _move_every_order_along_its_lifecycle(w):
    paths = {
        S.PLACED: [S.CREDIT_ANALYSIS, S.BACKLOG, S.INVOICED, S.COMPLETED],
        S.CREDIT_ANALYSIS: [S.CANCELLED],
        S.BACKLOG: [S.INVOICED],
        S.INVOICED: [S.CANCELLED],
    }
    for order in w.o.values():
        for status in paths[order.status]:
            order.transition_to(status)


WRITES = {
    "create an order": lambda w: OrderFactory(
        account=w.a, status=S.BACKLOG, created_at=local(2026, 3, 1)
    ),
    "create a delivery": lambda w: DeliveryFactory(order=w.o["placed"], status=D.IN_TRANSIT),
    "save an order's status": lambda w: _save(w.o["placed"], status=S.CANCELLED),
    "save an order's status, update_fields": lambda w: _save(
        w.o["placed"], ["status"], status=S.CANCELLED
    ),
    "save an order's account": lambda w: _save(w.o["late"], ["account"], account=w.b),
    "save an order's creation date": lambda w: _save(w.o["late"], created_at=local(2026, 2, 1)),
    "save a delivery's status": lambda w: _save(w.d["backlog"], ["status"], status=D.RETURNED),
    "save a delivery for another order": lambda w: _save(w.d["backlog"], order=w.o["placed"]),
    "transition an order": lambda w: w.o["placed"].transition_to(S.BACKLOG),
    "transition every order": _move_every_order_along_its_lifecycle,
    "transition a delivery": lambda w: w.d["backlog"].transition_to(D.IN_TRANSIT),
    "delete an order": lambda w: w.o["late"].delete(),
    "delete an order with its delivery": lambda w: w.o["backlog"].delete(),
    "delete a delivery": lambda w: w.d["invoiced"].delete(),
    "delete orders": lambda w: Order.objects.filter(account=w.a).delete(),
    "delete deliveries": lambda w: Delivery.objects.filter(status=D.IN_TRANSIT).delete(),
    "update orders' status": lambda w: Order.objects.filter(status=S.PLACED).update(
        status=S.CANCELLED
    ),
    "update orders' account": lambda w: Order.objects.filter(account=w.a).update(account=w.b),
    "update orders' creation date": lambda w: Order.objects.filter(
        created_at__lt=local(2026, 2, 1)
    ).update(created_at=local(2026, 5, 5)),
    "update deliveries' status": lambda w: Delivery.objects.filter(status=D.PROCESSING).update(
        status=D.RETURNED
    ),
    "update a delivery's order": lambda w: Delivery.objects.filter(pk=w.d["backlog"].pk).update(
        order=w.o["placed"]
    ),
    "bulk_update orders": _bulk_update_orders,
    "bulk_update deliveries": _bulk_update_deliveries,
    "bulk_create": _bulk_create,
    "bulk_create then refresh": _bulk_create_then_refresh,
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_after_each_write_the_derived_data_equals_a_recount(world, write):
    assert_order_data_in_step()
    before = recounted()

    write(world)

    assert recounted() != before, "the write changes nothing the derived data follows"
    assert_order_data_in_step()


def test_the_delivery_status_copy_is_written_by_its_deliveries_alone(world):
    with pytest.raises(rollups.CopiedFieldWrite, match="sync_delivery_status"):
        Order.objects.update(delivery_status=D.DELIVERED)
    placed = world.o["placed"]
    placed.delivery_status = D.DELIVERED
    with pytest.raises(rollups.CopiedFieldWrite, match="sync_delivery_status"):
        Order.objects.bulk_update([placed], ["delivery_status"])
    assert_order_data_in_step()


def test_an_upsert_that_rewrites_a_counted_field_is_refused(world):
    again = Order(account=world.b, number=world.o["placed"].number, created_at=local(2026, 1, 1))
    with pytest.raises(rollups.CopiedFieldWrite, match="status"):
        Order.objects.bulk_create(
            [again], update_conflicts=True, unique_fields=["number"], update_fields=["status"]
        )


def test_bulk_create_ignoring_conflicts_recounts_what_it_may_have_skipped(world):
    again = Order(account=world.a, number=world.o["placed"].number, created_at=local(2026, 1, 1))
    Order.objects.bulk_create([again, *_new_orders(world)], ignore_conflicts=True)
    assert_order_data_in_step()


def test_an_upsert_of_other_fields_counts_only_the_new_orders(world):
    placed = world.o["placed"]
    again = Order(account=placed.account, number=placed.number, created_at=placed.created_at)
    again.total = 7
    Order.objects.bulk_create(
        [again, *_new_orders(world)],
        update_conflicts=True,
        unique_fields=["number"],
        update_fields=["total"],
    )
    assert Order.objects.get(pk=placed.pk).total == 7
    assert_order_data_in_step()


def test_a_new_order_has_no_delivery_status_whatever_it_is_given(account_a):
    order = OrderFactory(account=account_a, delivery_status=D.DELIVERED)
    [bulk] = Order.objects.bulk_create(
        [Order(account=account_a, number="B1", created_at=local(2026, 1, 1), delivery_status="x")]
    )
    assert Order.objects.get(pk=order.pk).delivery_status == ""
    assert Order.objects.get(number="B1").delivery_status == ""


def test_sync_repairs_copies_that_sql_wrote_around_the_models(world):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE orders_order SET delivery_status = 'returned'")

    Order.objects.all().sync_delivery_status()

    assert_order_data_in_step()


def test_refresh_repairs_counters_that_sql_wrote_around_the_models(world):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE orders_order SET status = 'completed'")

    OrderMonth.objects.refresh([world.a.pk, world.b.pk, world.other.pk])

    assert_order_data_in_step()


def test_saving_fields_that_nothing_derives_from_costs_one_query(world, django_assert_num_queries):
    order, delivery = world.o["backlog"], world.d["backlog"]
    order.total = 5
    delivery.tracking_code = "BR123"
    with django_assert_num_queries(1):
        order.save(update_fields=["total"])
    with django_assert_num_queries(1):
        delivery.save(update_fields=["tracking_code"])


def test_the_delivery_status_filter_shows_what_the_deliveries_say(client_for, alice, account_a):
    moving = DeliveryFactory(order__account=account_a)
    DeliveryFactory(order__account=account_a)
    moving.transition_to(D.IN_TRANSIT)

    response = client_for(alice).get(reverse("orders:list"), {"delivery_status": D.IN_TRANSIT})

    assert numbers(response) == [moving.order.number]


@pytest.fixture
def erp_accounts(reseller_a, reseller_b):
    """The reseller accounts that the sample files name."""
    for reseller, codes in (
        (reseller_a, ["M000000000LL", "M000000017LL", "M000000023LL"]),
        (reseller_b, ["M000000000BB"]),
    ):
        for code in codes:
            ResellerAccountFactory(reseller=reseller, code=code)


def test_the_erp_import_of_the_samples_keeps_the_derived_data(erp_accounts):
    with translation.override("en"):
        for kind, name in ERP_FILES:
            call_command("import_erp", kind, str(SAMPLES / name), stdout=io.StringIO())

    assert stored_order_months()
    assert Order.objects.exclude(delivery_status="").exists()
    assert_order_data_in_step()


@pytest.mark.django_db
def test_the_demo_keeps_the_derived_data(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command(
        "demo_data",
        "--orders",
        "60",
        "--today",
        "2026-03-16",
        "--i-know-this-is-not-production",
        stdout=io.StringIO(),
    )

    assert stored_order_months()
    assert Order.objects.exclude(delivery_status="").exists()
    assert_order_data_in_step()


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_two_transitions_into_a_missing_counter_at_once_both_count(account_a):
    # Both orders move into January's "backlog", which has no row yet: each creates it, and the
    # second, refused by the unique key once the first commits, adds to the first's row.
    placed = OrderFactory(account=account_a, status=S.PLACED, created_at=local(2026, 1, 10))
    analysis = OrderFactory(
        account=account_a, status=S.CREDIT_ANALYSIS, created_at=local(2026, 1, 20)
    )

    results = at_once(
        lambda: Order.objects.get(pk=placed.pk).transition_to(S.BACKLOG),
        lambda: Order.objects.get(pk=analysis.pk).transition_to(S.BACKLOG),
    )

    assert not any(isinstance(r, Exception) for r in results.values()), results
    assert stored_order_months() == {(account_a.pk, local(2026, 1, 1).date(), S.BACKLOG): 2}
    assert_order_data_in_step()


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_two_saves_of_one_order_at_once_each_move_their_own_difference(account_a):
    order = OrderFactory(account=account_a, status=S.PLACED, created_at=local(2026, 1, 10))
    first, second = Order.objects.get(pk=order.pk), Order.objects.get(pk=order.pk)

    results = at_once(
        lambda: _save(first, ["status"], status=S.BACKLOG),
        lambda: _save(second, ["created_at"], created_at=local(2026, 3, 3)),
    )

    assert not any(isinstance(r, Exception) for r in results.values()), results
    assert stored_order_months() == {(account_a.pk, local(2026, 3, 1).date(), S.BACKLOG): 1}
    assert_order_data_in_step()


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_two_bulk_loads_into_a_missing_counter_at_once_both_count(account_a):
    def load(number):
        return Order.objects.bulk_create(
            [Order(account=account_a, number=number, created_at=local(2026, 1, 10))]
        )

    results = at_once(lambda: load("LOAD-1"), lambda: load("LOAD-2"))

    assert not any(isinstance(r, Exception) for r in results.values()), results
    assert stored_order_months() == {(account_a.pk, local(2026, 1, 1).date(), S.PLACED): 2}
    assert_order_data_in_step()
