"""The copy that keeps the orders list on one table: Order.delivery_status follows the order's
delivery however the delivery changes."""

from django.urls import reverse

from orders.models import Delivery, Order
from tests.factories import DeliveryFactory, OrderFactory
from tests.orders.helpers import numbers

LIST = reverse("orders:list")
Status = Delivery.Status


def copied(order):
    return Order.objects.values_list("delivery_status", flat=True).get(pk=order.pk)


def test_an_order_without_a_delivery_has_no_delivery_status(account_a):
    assert copied(OrderFactory(account=account_a)) == ""


def test_a_new_delivery_copies_its_status_onto_its_order(account_a):
    delivery = DeliveryFactory(order__account=account_a, status=Status.IN_TRANSIT)
    assert copied(delivery.order) == Status.IN_TRANSIT


def test_a_transition_moves_the_order_s_copy_too(account_a):
    delivery = DeliveryFactory(order__account=account_a)
    delivery.transition_to(Status.IN_TRANSIT)
    assert copied(delivery.order) == Status.IN_TRANSIT
    delivery.transition_to(Status.DELIVERED)
    assert copied(delivery.order) == Status.DELIVERED


def test_saving_a_changed_status_updates_the_copy(account_a):
    delivery = DeliveryFactory(order__account=account_a)
    delivery.status = Status.RETURNED
    delivery.save(update_fields=["status"])
    assert copied(delivery.order) == Status.RETURNED


def test_deleting_the_delivery_clears_the_copy(account_a):
    delivery = DeliveryFactory(order__account=account_a, status=Status.IN_TRANSIT)
    Delivery.objects.filter(pk=delivery.pk).delete()
    assert copied(delivery.order) == ""


def test_sync_repairs_orders_whose_deliveries_were_written_in_bulk(account_a):
    orders = [OrderFactory(account=account_a) for _ in range(3)]
    Delivery.objects.bulk_create(
        [Delivery(order=orders[0], status=Status.IN_TRANSIT), Delivery(order=orders[1])]
    )
    assert [copied(o) for o in orders] == ["", "", ""]

    Order.objects.all().sync_delivery_status()

    assert [copied(o) for o in orders] == [Status.IN_TRANSIT, Status.PROCESSING, ""]


def test_the_delivery_status_filter_shows_what_the_deliveries_say(client_for, alice, account_a):
    moving = DeliveryFactory(order__account=account_a)
    DeliveryFactory(order__account=account_a)
    moving.transition_to(Status.IN_TRANSIT)

    response = client_for(alice).get(LIST, {"delivery_status": Status.IN_TRANSIT})

    assert numbers(response) == [moving.order.number]
