"""Builders shared by the orders tests: an order with everything its pages show; the data
derived from orders, recounted from scratch."""

import datetime as dt
from collections import Counter
from decimal import Decimal

from django.utils import timezone

from orders.models import Delivery, DeliveryEvent, Order, OrderMonth
from tests.factories import DeliveryFactory, InvoiceFactory, OrderFactory, OrderLineFactory


def local(year, month, day, hour=12, minute=0):
    """An aware moment in the portal's time zone (America/Sao_Paulo)."""
    return timezone.make_aware(dt.datetime(year, month, day, hour, minute))


def full_order(account, *, lines=2, events=2, **kwargs):
    """An order with lines, an invoice and a delivery with tracking events."""
    order = OrderFactory(account=account, **kwargs)
    for i in range(lines):
        OrderLineFactory(
            order=order, line_number=i + 1, quantity=Decimal(i + 1), unit_price=Decimal("10.50")
        )
    InvoiceFactory(order=order)
    delivery = DeliveryFactory(order=order)
    start = order.created_at
    for i in range(events):
        DeliveryEvent.objects.create(
            delivery=delivery,
            occurred_at=start + dt.timedelta(hours=i + 1),
            description=f"Evento {i + 1}",
            location="São Paulo/SP",
        )
    return order


def numbers(response):
    """The order numbers of the rows on the page, in the order shown."""
    return [row.record.number for row in response.context["table"].page.object_list]


def form_errors(response):
    """{field: [error codes]} of the list's filter form."""
    data = response.context["filter"].form.errors.as_data()
    return {name: [e.code for e in errors] for name, errors in data.items()}


def recounted_order_months():
    """OrderMonth as the orders say, counted here in Python: {(account id, first day of the
    month of creation in the portal's time zone, status): count}."""
    rows = Order.objects.values_list("account_id", "created_at", "status")
    return dict(
        Counter(
            (account_id, timezone.localtime(created_at).date().replace(day=1), status)
            for account_id, created_at, status in rows
        )
    )


def stored_order_months():
    """The same from OrderMonth, leaving out rows that count nothing."""
    return {(r.account_id, r.month, r.status): r.count for r in OrderMonth.objects.all() if r.count}


def recounted_delivery_statuses():
    """{order id: its delivery's status, "" without one}."""
    statuses = dict(Delivery.objects.values_list("order_id", "status"))
    return {pk: statuses.get(pk, "") for pk in Order.objects.values_list("pk", flat=True)}


def stored_delivery_statuses():
    return dict(Order.objects.values_list("pk", "delivery_status"))


def assert_order_data_in_step():
    """OrderMonth and Order.delivery_status equal a recount from scratch."""
    assert stored_order_months() == recounted_order_months()
    assert stored_delivery_statuses() == recounted_delivery_statuses()
