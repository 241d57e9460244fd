"""The ERP kinds of the orders area (orders/erp.py), imported from the sample files in
samples/erp."""

import datetime as dt
import zoneinfo
from decimal import Decimal

from orders.models import Customer, Delivery, Invoice, Order, OrderLine
from tests.portal.erp_helpers import BROKEN, failed_import, run_import, write

SAO_PAULO = zoneinfo.ZoneInfo("America/Sao_Paulo")


def test_imported_values_are_typed_and_linked(imported):
    bakery = Customer.objects.get(code="100238")
    assert bakery.cnpj == "12ABC34501DE35"  # the alphanumeric CNPJ, stored bare
    assert Customer.objects.get(code="100234").is_government

    order = Order.objects.get(number="4500012303")
    assert order.account.code == "M000000017LL"
    assert order.customer.name == "Prefeitura Municipal de Campinas"
    assert order.status == Order.Status.INVOICED
    assert order.created_at == dt.datetime(2025, 4, 2, 10, 30, tzinfo=SAO_PAULO)
    assert order.total == Decimal("94089.00")
    assert sum(line.total for line in order.lines.all()) == order.total

    assert Order.objects.get(number="4500012312").customer is None
    assert OrderLine.objects.get(order__number="4500012301", line_number=2).unit_price == Decimal(
        "1290.00"
    )

    assert Invoice.objects.get(number="829009876").order.number == "4500012303"
    delivery = Delivery.objects.get(order__number="4500012301")
    assert delivery.status == Delivery.Status.DELIVERED
    assert [event.location for event in delivery.events.all()] == [
        "São Paulo/SP",
        "Guarulhos/SP",
        "Ribeirão Preto/SP",
    ]


def test_bad_customers_file_reports_cnpj_missing_name_and_bad_flag(db):
    message, err = failed_import("customers", BROKEN / "customers.csv")

    assert message == "3 errors in customers.csv; nothing from it was imported."
    assert err.splitlines() == [
        "line 3, field cnpj: Enter a valid CNPJ.",
        "line 4, field name: This field is required.",
        "line 5, field is_government: Enter yes or no (1 or 0).",
    ]
    assert not Customer.objects.exists()


def test_new_tracking_event_and_status_update_an_existing_delivery(imported, tmp_path):
    path = write(
        tmp_path,
        "deliveries-today.csv",
        "order_number,carrier,status,expected_date,tracking_code,event_at,event_description\n"
        "4500012303,CORREIOS,delivered,2025-04-16,QB123456789BR,"
        "11/04/2025 15:02,Objeto entregue ao destinatário\n",
    )

    out, _err = run_import("deliveries", path)

    assert out == "deliveries: 0 created, 1 updated, 0 unchanged"
    delivery = Delivery.objects.get(order__number="4500012303")
    assert delivery.status == Delivery.Status.DELIVERED
    assert delivery.carrier.name == "Correios"  # matched regardless of case
    assert delivery.events.last().occurred_at == dt.datetime(2025, 4, 11, 15, 2, tzinfo=SAO_PAULO)
    assert [c.to_status for c in delivery.status_history()] == ["delivered"]
