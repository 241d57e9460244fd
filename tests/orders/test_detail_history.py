from django.urls import reverse

from orders.models import Order
from tests.factories import OrderFactory


def test_order_detail_shows_who_moved_the_order_and_why(client_for, alice, account_a):
    order = OrderFactory(account=account_a, status=Order.Status.PLACED)
    order.transition_to(Order.Status.CANCELLED, by=alice.user, reason="Cliente desistiu")

    response = client_for(alice).get(reverse("orders:detail", args=[order.number]))

    change, from_label, to_label = response.context["history"][0]
    assert (change.changed_by, change.reason) == (alice.user, "Cliente desistiu")
    assert (from_label, to_label) == (Order.Status.PLACED.label, Order.Status.CANCELLED.label)
    assert "Cliente desistiu" in response.text
    assert "Alice Almeida" in response.text
