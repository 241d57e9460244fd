"""The ERP files of the orders area: customers, orders, their lines, the distributor's NF-e and
the deliveries with their tracking events. Registered with the import by settings.ERP_KINDS."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.erp import ACCOUNT
from orders.models import (
    Carrier,
    Customer,
    Delivery,
    DeliveryEvent,
    Invoice,
    Order,
    OrderLine,
    OrderMonth,
)
from portal.erp import (
    Column,
    Kind,
    Ref,
    RowError,
    access_key,
    aware_datetime,
    boolean,
    choice,
    cnpj_number,
    date,
    decimal,
    integer,
    text_max,
)


def _order_account(row):
    account = row.refs.get("account")
    return account.pk if account else None


def _recount_order_months(accounts):
    OrderMonth.objects.refresh(accounts)


_EVENT_COLUMNS = ("event_at", "event_description", "event_location")
# Where a DeliveryEvent field's errors point in the file.
_EVENT_FIELD_COLUMNS = dict(
    zip(("occurred_at", "description", "location"), _EVENT_COLUMNS, strict=True)
)


def _carrier(run, name):
    """The carrier of that name, matched without regard to case; a new name creates it. The
    carriers are fetched once per file."""
    if "carriers" not in run.file_cache:
        run.file_cache["carriers"] = {c.name.casefold(): c for c in Carrier.objects.all()}
    carriers = run.file_cache["carriers"]
    if name.casefold() not in carriers:
        carriers[name.casefold()] = Carrier.objects.create(name=name)
    return carriers[name.casefold()]


def _delivery_events(run):
    """The tracking events of the chunk's deliveries, by (delivery, moment, description),
    fetched once per chunk."""
    if "events" not in run.chunk_cache:
        ids = {delivery.pk for delivery in run.existing.values()}
        fields = ("delivery_id", "occurred_at", "description")
        run.chunk_cache["events"] = run.fetch(DeliveryEvent.objects.all(), fields, ids)
    return run.chunk_cache["events"]


def _delivery_details(row, run):
    given = [column for column in _EVENT_COLUMNS if column in row.data]
    if given and not {"event_at", "event_description"} <= set(given):
        missing = "event_description" if "event_at" in given else "event_at"
        raise RowError((missing, _("A tracking event needs event_at and event_description.")))
    if "carrier" in row.data:
        row.values["carrier_id"] = _carrier(run, row.data["carrier"]).pk


def _delivery_event(delivery, row, run):
    if "event_at" not in row.data:
        return False
    events = _delivery_events(run)
    key = (delivery.pk, row.data["event_at"], row.data["event_description"])
    location = row.data.get("event_location", "")
    event = events.get(key)
    if event is None:
        event = DeliveryEvent(
            delivery=delivery, occurred_at=key[1], description=key[2], location=location
        )
    elif "event_location" in row.data and event.location != location:
        event.location = location
    else:
        return False
    run.check(event, columns=_EVENT_FIELD_COLUMNS)
    event.save()
    events[key] = event
    return True


CUSTOMER = Ref(
    "customer",
    Customer,
    ("code",),
    ("customer_code",),
    gettext_lazy("Unknown customer “%(key)s”; import the customers first."),
)
ORDER = Ref(
    "order",
    Order,
    ("number",),
    ("order_number",),
    gettext_lazy("Unknown order “%(key)s”; import the orders first."),
)

KINDS = (
    Kind(
        "customers",
        Customer,
        key=("code",),
        columns=(
            Column("code"),
            Column("cnpj", cnpj_number),
            Column("name"),
            Column("is_government", boolean, required=False),
        ),
    ),
    Kind(
        "orders",
        Order,
        key=("number",),
        columns=(
            Column("number"),
            Column("account_code"),
            Column("customer_code", required=False),
            Column("status", choice(Order.Status)),
            Column("created_at", aware_datetime),
            Column("total", decimal),
        ),
        refs=(ACCOUNT, CUSTOMER),
        remember=_order_account,
        after_file=_recount_order_months,
    ),
    Kind(
        "order_lines",
        OrderLine,
        key=("order_id", "line_number"),
        columns=(
            Column("order_number"),
            Column("line_number", integer),
            Column("sku"),
            Column("description"),
            Column("quantity", decimal),
            Column("unit_price", decimal),
        ),
        refs=(ORDER,),
    ),
    Kind(
        "invoices",
        Invoice,
        key=("access_key",),
        columns=(
            Column("order_number"),
            Column("number"),
            Column("series"),
            Column("issued_at", date),
            Column("access_key", access_key),
        ),
        refs=(ORDER,),
    ),
    Kind(
        "deliveries",
        Delivery,
        key=("order_id",),
        columns=(
            Column("order_number"),
            Column(
                "carrier",
                text_max(Carrier._meta.get_field("name").max_length),
                required=False,
                to=None,
            ),
            Column("status", choice(Delivery.Status)),
            Column("expected_date", date, required=False),
            Column("tracking_code", required=False),
            Column("event_at", aware_datetime, required=False, to=None),
            Column("event_description", required=False, to=None),
            Column("event_location", required=False, to=None),
        ),
        refs=(ORDER,),
        derive=_delivery_details,
        after_save=_delivery_event,
    ),
)
