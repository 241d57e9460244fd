from collections import Counter

from django.db import models, transaction
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.fields import CNPJField, MoneyField
from portal.lifecycle import Lifecycle, LifecycleMixin
from portal.rollups import (
    RowWrite,
    Scope,
    SourceQuerySet,
    batches,
    bump,
    bump_many,
    month_of,
    stored,
)
from portal.scoping import reseller_scope


class Customer(models.Model):
    """The distributor's end customer, billed directly on a reseller's behalf."""

    code = models.CharField(_("customer number"), max_length=20, unique=True)
    cnpj = CNPJField(db_index=True)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    is_government = models.BooleanField(_("government"), default=False)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]

    def __str__(self):
        return self.name


class DeliveryStatus(models.TextChoices):
    PROCESSING = "processing", _("Processing")
    IN_TRANSIT = "in_transit", _("In transit")
    DELIVERED = "delivered", _("Delivered")
    RETURNED = "returned", _("Returned")


# The order's fields that OrderMonth counts it by.
COUNTED = ("account_id", "created_at", "status")


class OrderQuerySet(SourceQuerySet):
    """update() of a counted field and delete() recount the OrderMonth of the accounts they
    touch; bulk_create() counts the new orders in. Order.delivery_status is the deliveries' to
    write: update() refuses it."""

    copies = {
        "delivery_status": (
            "Order.delivery_status copies the order's delivery: write the Delivery (save, "
            "transition_to, delete, its queryset), or call Order.objects.sync_delivery_status()."
        )
    }
    sources = frozenset(COUNTED)

    def visible_to(self, user):
        return reseller_scope(self, user, "account__reseller_id")

    def sync_delivery_status(self):
        """Copies each order's delivery status onto it ("" without one), in one UPDATE.

        The one writer of Order.delivery_status: Delivery's save, transitions, delete and queryset
        call it for the orders they touch, and a load that writes deliveries without them (SQL)
        calls it afterwards.
        """
        status = Delivery.objects.filter(order=OuterRef("pk")).values("status")[:1]
        return self._write_copies(delivery_status=Coalesce(Subquery(status), Value("")))

    def _touched(self, names):
        return Scope(self, "account_id", names)

    def _recount(self, accounts, names):
        OrderMonth.objects.refresh(accounts.after())

    def _creating(self, orders):
        for order in orders:
            order.delivery_status = ""  # a new order has no delivery yet

    def _created(self, orders, exact):
        if exact:
            OrderMonth.objects.count_new(orders)
        else:
            OrderMonth.objects.refresh({order.account_id for order in orders})


class Order(LifecycleMixin, models.Model):
    """A reseller account's order, imported from the ERP.

    Derived from orders: OrderMonth, which every write of an order keeps (see there), and
    `delivery_status`, a copy of the delivery's status written only by sync_delivery_status().
    Bulk loads insert with bulk_create(), which counts the new orders in; a load that writes
    orders or deliveries without the models (SQL) calls `OrderMonth.objects.refresh(accounts)`
    and `Order.objects.filter(...).sync_delivery_status()` when it is done.
    """

    class Status(models.TextChoices):
        PLACED = "placed", _("Placed")
        CREDIT_ANALYSIS = "credit_analysis", _("Credit analysis")
        BACKLOG = "backlog", _("Backlog")
        INVOICED = "invoiced", _("Invoiced")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    lifecycle = Lifecycle(
        {
            Status.PLACED: {Status.CREDIT_ANALYSIS, Status.BACKLOG, Status.CANCELLED},
            Status.CREDIT_ANALYSIS: {Status.BACKLOG, Status.CANCELLED},
            Status.BACKLOG: {Status.INVOICED, Status.CANCELLED},
            Status.INVOICED: {Status.COMPLETED, Status.CANCELLED},
        }
    )

    account = models.ForeignKey(
        "accounts.ResellerAccount",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    number = models.CharField(_("order number"), max_length=20, unique=True)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
    )
    status = models.CharField(
        _("order status"), max_length=20, choices=Status.choices, default=Status.PLACED
    )
    created_at = models.DateTimeField(_("created at"))
    total = MoneyField(_("total"), default=0)
    # Denormalised from the delivery ("" when there is none) so that the list filters, and the
    # dashboard counts, orders in transit on this table's own index instead of joining every
    # delivery (bench/README.md). sync_delivery_status() writes it, called by every write of a
    # delivery (save, transitions, delete, the queryset's update, delete and bulk_create).
    delivery_status = models.CharField(
        _("delivery status"),
        max_length=20,
        choices=DeliveryStatus.choices,
        blank=True,
        default="",
        db_default="",
        editable=False,
    )

    objects = OrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["account", "-created_at"]),
            models.Index(fields=["account", "status", "-created_at"]),
            models.Index(fields=["status", "-created_at"]),
            models.Index(
                fields=["account", "delivery_status", "-created_at"], name="order_delivery_idx"
            ),
            # "Consolidado" spans several accounts; walking this index backwards gives the
            # list's default order without sorting every order (bench/README.md, section 1).
            models.Index(fields=["-created_at", "-id"], name="order_created_idx"),
        ]

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        write = RowWrite(self, COUNTED, kwargs.get("update_fields"))
        if not write:
            return super().save(*args, **kwargs)
        if write.adding:
            self.delivery_status = ""  # a new order has no delivery yet
        with transaction.atomic():
            write.lock()
            super().save(*args, **kwargs)
            OrderMonth.objects.move(write.before, write.after())

    def get_absolute_url(self):
        return reverse("orders:detail", args=[self.number])

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            before = stored(self, COUNTED)
            deleted = super().delete(*args, **kwargs)
            OrderMonth.objects.move(before, None)
        return deleted

    def after_transition(self, frm, to):
        OrderMonth.objects.shift(self, frm, to)


class OrderMonthQuerySet(models.QuerySet):
    def visible_to(self, user):
        return reseller_scope(self, user, "account__reseller_id")

    def move(self, before, after):
        """One order was written: counts it out as it was (`before`, its COUNTED values; None for
        a new order) and in as it is (`after`; None once deleted)."""
        old, new = _month_key(before), _month_key(after)
        if old == new:
            return
        if old is not None:
            bump(self, old, count=-1)
        if new is not None:
            bump(self, new, count=1)

    def shift(self, order, frm, to):
        """One order changed status: move it between its month's counters."""
        values = {name: getattr(order, name) for name in COUNTED}
        self.move({**values, "status": frm}, {**values, "status": to})

    def count_new(self, orders):
        """New orders, inserted in bulk: counted in with a few queries (bump_many)."""
        keys = Counter(
            tuple(_month_key({name: getattr(order, name) for name in COUNTED}).values())
            for order in orders
        )
        bump_many(
            self,
            [
                ({"account_id": account_id, "month": month, "status": status}, {"count": count})
                for (account_id, month, status), count in keys.items()
            ],
        )

    def refresh(self, account_ids):
        """Recounts every month of these accounts from the orders: the bulk path, for loads that
        write orders without the models (SQL) and as a repair."""
        account_ids = list(account_ids)
        rows = (
            Order.objects.filter(account_id__in=account_ids)
            .annotate(month=TruncMonth("created_at"))
            .values("account_id", "month", "status")
            .annotate(count=Count("pk"))
            .order_by()
        )
        self.filter(account_id__in=account_ids).delete()
        self.bulk_create(
            OrderMonth(
                account_id=row["account_id"],
                month=month_of(row["month"]),
                status=row["status"],
                count=row["count"],
            )
            for row in rows
        )


def _month_key(values):
    """The OrderMonth row that an order with these COUNTED values counts in."""
    if values is None:
        return None
    return {
        "account_id": values["account_id"],
        "month": month_of(values["created_at"]),
        "status": values["status"],
    }


class OrderMonth(models.Model):
    """Orders per account, month of creation and current status: the dashboard chart reads
    this instead of scanning the orders.

    Every write of an order keeps it: Order.save and delete, transitions (`shift`), and the
    queryset's update(), delete() and bulk_create(). `OrderMonth.objects.refresh(account_ids)`
    recounts accounts from scratch: the bulk path, which the ERP import and the demo call when
    they are done, and the repair after writes that skip the models (SQL).
    """

    account = models.ForeignKey(
        "accounts.ResellerAccount", on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField()
    status = models.CharField(max_length=20, choices=Order.Status.choices)
    count = models.IntegerField(default=0)

    objects = OrderMonthQuerySet.as_manager()

    class Meta:
        verbose_name = _("orders per month")
        verbose_name_plural = _("orders per month")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "month", "status"], name="unique_order_month"
            )
        ]

    def __str__(self):
        return f"{self.account_id} {self.month:%Y-%m} {self.status}: {self.count}"


class OrderLine(models.Model):
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines"
    )
    line_number = models.PositiveIntegerField(_("line"))
    sku = models.CharField(_("SKU"), max_length=40)
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    unit_price = MoneyField(_("unit price"))

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_number"], name="unique_order_line")
        ]

    def __str__(self):
        return f"{self.order_id}/{self.line_number} {self.sku}"

    @property
    def total(self):
        return self.quantity * self.unit_price


class InvoiceQuerySet(models.QuerySet):
    def visible_to(self, user):
        return reseller_scope(self, user, "order__account__reseller_id")


def invoice_upload_to(instance, filename):
    return f"invoices/{instance.access_key}/{filename}"


class Invoice(models.Model):
    """The distributor's NF-e for an order."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="invoices"
    )
    number = models.CharField(_("invoice number"), max_length=20, db_index=True)
    series = models.CharField(_("series"), max_length=5)
    issued_at = models.DateField(_("issue date"))
    access_key = models.CharField(_("access key"), max_length=44, unique=True)
    pdf = models.FileField(_("PDF"), upload_to=invoice_upload_to, max_length=255, blank=True)
    xml = models.FileField(_("XML"), upload_to=invoice_upload_to, max_length=255, blank=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice (NF-e)")
        verbose_name_plural = _("invoices (NF-e)")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["number", "series"], name="unique_invoice_number"),
            models.CheckConstraint(
                condition=models.Q(access_key__regex=r"^[0-9]{44}$"),
                name="invoice_access_key_44_digits",
            ),
        ]

    def __str__(self):
        return f"{self.number}/{self.series}"


class Carrier(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")
        ordering = ["name"]

    def __str__(self):
        return self.name


class DeliveryQuerySet(SourceQuerySet):
    """update() of the status or the order, delete() and bulk_create() copy the status onto the
    orders they touch (Order.delivery_status), in the same transaction."""

    sources = frozenset({"order_id", "status"})

    def visible_to(self, user):
        return reseller_scope(self, user, "order__account__reseller_id")

    def _touched(self, names):
        return Scope(self, "order_id", names)

    def _recount(self, orders, names):
        _sync_orders(orders.after())

    def _created(self, deliveries, exact):
        _sync_orders({delivery.order_id for delivery in deliveries})


def _sync_orders(order_ids):
    for ids in batches(order_ids):
        Order.objects.filter(pk__in=ids).sync_delivery_status()


class Delivery(LifecycleMixin, models.Model):
    """An order's shipment. Its order copies its status (Order.delivery_status): save(),
    transitions, delete() and the queryset's writes call sync_delivery_status() for the orders
    they touch."""

    Status = DeliveryStatus

    lifecycle = Lifecycle(
        {
            Status.PROCESSING: {Status.IN_TRANSIT, Status.DELIVERED},
            Status.IN_TRANSIT: {Status.DELIVERED, Status.RETURNED},
        }
    )

    order = models.OneToOneField(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="delivery"
    )
    carrier = models.ForeignKey(
        Carrier, verbose_name=_("carrier"), on_delete=models.PROTECT, null=True, blank=True
    )
    status = models.CharField(
        _("delivery status"), max_length=20, choices=Status.choices, default=Status.PROCESSING
    )
    expected_date = models.DateField(_("expected delivery"), null=True, blank=True)
    tracking_code = models.CharField(_("tracking code"), max_length=60, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [models.Index(fields=["status"])]

    def __str__(self):
        return f"{self.order_id}: {self.get_status_display()}"

    def save(self, *args, **kwargs):
        write = RowWrite(self, DeliveryQuerySet.sources, kwargs.get("update_fields"))
        if not write:
            return super().save(*args, **kwargs)
        with transaction.atomic():
            if "order_id" in write.writes:
                write.lock()  # the order it may leave
            super().save(*args, **kwargs)
            _sync_orders({self.order_id} | ({write.before["order_id"]} if write.before else set()))

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            before = stored(self, ["order_id"])
            deleted = super().delete(*args, **kwargs)
            if before is not None:
                _sync_orders({before["order_id"]})
        return deleted

    def after_transition(self, frm, to):
        _sync_orders({self.order_id})


class DeliveryEvent(models.Model):
    delivery = models.ForeignKey(
        Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="events"
    )
    occurred_at = models.DateTimeField(_("when"))
    description = models.CharField(_("description"), max_length=200)
    location = models.CharField(_("location"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        ordering = ["occurred_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "occurred_at", "description"], name="unique_delivery_event"
            )
        ]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.description}"
