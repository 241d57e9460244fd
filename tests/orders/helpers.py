"""Builders shared by the orders tests: an order with everything its pages show."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from orders.models import DeliveryEvent
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
