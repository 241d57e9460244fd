"""The demo's orders (orders/demo.py), built by `manage.py demo_data`."""

import datetime as dt
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest
from django.db.models import Count
from django.utils import timezone

from commissions.models import Company
from orders import demo
from orders.models import Customer, Delivery, DeliveryEvent, Invoice, Order, OrderLine, OrderMonth
from tests.demo.helpers import TODAY, assert_valid_pdf, demo_data, nfe_check_digit


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.django_db
def test_order_totals_are_the_sum_of_their_lines():
    demo_data()

    totals = {}
    for number, quantity, unit_price in OrderLine.objects.values_list(
        "order__number", "quantity", "unit_price"
    ):
        totals[number] = totals.get(number, 0) + quantity * unit_price
    orders = dict(Order.objects.values_list("number", "total"))
    assert orders == totals
    assert not Order.objects.annotate(n=Count("lines")).filter(n=0).exists()


@pytest.mark.django_db
def test_invoiced_orders_have_an_nfe_with_a_valid_key_and_real_files():
    demo_data()

    invoiced = Order.objects.filter(status__in=[Order.Status.INVOICED, Order.Status.COMPLETED])
    assert not invoiced.filter(invoices=None).exists()
    for invoice in Invoice.objects.select_related("order"):
        key = invoice.access_key
        company = Company.objects.for_invoice_number(invoice.number)
        assert key[6:20] == company.cnpj and key[20:22] == "55"
        assert key[25:34] == f"{int(invoice.number):09d}"
        assert int(key[-1]) == nfe_check_digit(key[:43])

        with invoice.pdf.open("rb") as f:
            assert_valid_pdf(f.read(), invoice.number)
        with invoice.xml.open("rb") as f:
            root = ET.fromstring(f.read())
        ns = {"nfe": "http://www.portalfiscal.inf.br/nfe"}
        assert root.find(".//nfe:chNFe", ns).text == key
        assert root.find(".//nfe:nNF", ns).text == invoice.number
        assert root.find(".//nfe:vNF", ns).text == f"{invoice.order.total:.2f}"


@pytest.mark.django_db
def test_each_reseller_gets_its_share_of_orders_and_every_order_is_counted_in_its_month():
    demo_data(orders=20)

    assert demo.order_counts(SimpleNamespace(size=20)) == {"A": 20, "B": 20}
    assert Order.objects.count() == 40
    assert Customer.objects.count() == 2 * 12
    statuses = {status for status, *_ in demo.SHOWCASE}
    assert statuses <= set(Order.objects.values_list("status", flat=True))
    assert sum(OrderMonth.objects.values_list("count", flat=True)) == Order.objects.count()


@pytest.mark.django_db
def test_tracking_events_tell_the_delivery_in_order_and_never_after_yesterday():
    demo_data()

    for delivery in Delivery.objects.exclude(carrier=None).prefetch_related("events"):
        moments = [event.occurred_at for event in delivery.events.order_by("pk")]
        assert moments == sorted(moments) and len(set(moments)) == len(moments)
    latest = DeliveryEvent.objects.order_by("-occurred_at").first().occurred_at
    assert timezone.localdate(latest) < dt.date.fromisoformat(TODAY)
