import datetime as dt

from django.db import models
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.fields import CNPJField, MoneyField
from portal.lifecycle import Lifecycle, LifecycleMixin
from portal.rollups import bump
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


class OrderQuerySet(models.QuerySet):
    def visible_to(self, user):
        return reseller_scope(self, user, "account__reseller_id")

    def sync_delivery_status(self):
        """Copies each order's delivery status onto it, in one UPDATE (after bulk loads)."""
        status = Delivery.objects.filter(order=OuterRef("pk")).values("status")[:1]
        return self.update(delivery_status=Coalesce(Subquery(status), Value("")))


class Order(LifecycleMixin, models.Model):
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
    # delivery (bench/README.md). Delivery.save, its transitions and its deletion keep it.
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

    def get_absolute_url(self):
        return reverse("orders:detail", args=[self.number])

    def after_transition(self, frm, to):
        OrderMonth.objects.shift(self, frm, to)


class OrderMonthQuerySet(models.QuerySet):
    def visible_to(self, user):
        return reseller_scope(self, user, "account__reseller_id")

    def shift(self, order, frm, to):
        """One order changed status: move it between its month's counters."""
        month = month_of(order.created_at)
        key = {"account_id": order.account_id, "month": month}
        self.filter(**key, status=frm).update(count=models.F("count") - 1)
        bump(self, {**key, "status": to}, count=1)

    def refresh(self, account_ids):
        """Recounts every month of these accounts from the orders (after bulk loads)."""
        from django.db.models import Count
        from django.db.models.functions import TruncMonth

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


def month_of(moment):
    """The first day of the month of `moment`, in the portal's time zone."""
    from django.utils import timezone

    if isinstance(moment, dt.datetime):
        moment = timezone.localtime(moment) if timezone.is_aware(moment) else moment
        moment = moment.date()
    return moment.replace(day=1)


class OrderMonth(models.Model):
    """Orders per account, month of creation and current status: the dashboard chart reads
    this instead of scanning the orders. Transitions keep it in step; bulk loads call refresh."""

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


class DeliveryQuerySet(models.QuerySet):
    def visible_to(self, user):
        return reseller_scope(self, user, "order__account__reseller_id")


class Delivery(LifecycleMixin, models.Model):
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
        super().save(*args, **kwargs)
        fields = kwargs.get("update_fields")
        if fields is None or {"status", "order", "order_id"} & set(fields):
            self._copy_status_to_order(self.status)

    def after_transition(self, frm, to):
        self._copy_status_to_order(to)

    def _copy_status_to_order(self, status):
        Order.objects.filter(pk=self.order_id).exclude(delivery_status=status).update(
            delivery_status=status
        )


@receiver(post_delete, sender=Delivery)
def _order_loses_its_delivery(sender, instance, **kwargs):
    Order.objects.filter(pk=instance.order_id).update(delivery_status="")


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
