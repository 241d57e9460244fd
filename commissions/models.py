from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models import month_of
from portal.fields import CNPJField, MoneyField
from portal.lifecycle import Lifecycle, LifecycleMixin
from portal.rollups import bump
from portal.scoping import reseller_scope


class CompanyQuerySet(models.QuerySet):
    def for_invoice_number(self, invoice_number):
        """The billing company follows from the end-customer invoice number's prefix."""
        for company in self.all():
            if str(invoice_number).startswith(company.invoice_prefix):
                return company
        return None


class Company(models.Model):
    """A distributor company that bills end customers (IMB, IMT, BRLINK). Staff edit these."""

    code = models.CharField(_("code"), max_length=10, unique=True)
    legal_name = models.CharField(_("legal name"), max_length=200)
    cnpj = CNPJField(unique=True)
    invoice_prefix = models.CharField(_("invoice prefix"), max_length=4, unique=True)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["code"]

    def __str__(self):
        return self.code


class InstallmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        return reseller_scope(self, user, "account__reseller_id")


class Installment(models.Model):
    """One installment (parcela) of an end-customer invoice (fatura)."""

    invoice_number = models.CharField(_("invoice number"), max_length=20)
    number = models.PositiveSmallIntegerField(_("installment"))
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="installments"
    )
    account = models.ForeignKey(
        "accounts.ResellerAccount",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="installments",
    )
    customer = models.ForeignKey(
        "orders.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="installments",
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="installments",
    )
    issue_date = models.DateField(_("issue date"))
    due_date = models.DateField(_("due date"))
    amount = MoneyField(_("amount"))
    paid_date = models.DateField(_("paid on"), null=True, blank=True)
    paid_amount = MoneyField(_("amount paid"), null=True, blank=True)

    objects = InstallmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("installment")
        verbose_name_plural = _("installments")
        ordering = ["-issue_date", "invoice_number", "number"]
        constraints = [
            models.UniqueConstraint(fields=["invoice_number", "number"], name="unique_installment")
        ]
        indexes = [
            models.Index(fields=["account", "due_date"]),
            models.Index(fields=["account", "issue_date"]),
        ]

    def __str__(self):
        return f"{self.invoice_number}-{self.number}"

    def save(self, *args, **kwargs):
        adding = self._state.adding
        super().save(*args, **kwargs)
        fields = kwargs.get("update_fields")
        if not adding and (fields is None or set(COPIED_TO_COMMISSION.values()) & set(fields)):
            # The commission keeps copies of these fields (COPIED_TO_COMMISSION).
            copies = copied_from(self)
            Commission.objects.filter(installment=self).exclude(**copies).update(**copies)


# The installment's fields that its commission copies: {commission field: installment field}.
COPIED_TO_COMMISSION = {
    "issue_date": "issue_date",
    "due_date": "due_date",
    "installment_paid_date": "paid_date",
}


def copied_from(installment):
    return {mine: getattr(installment, theirs) for mine, theirs in COPIED_TO_COMMISSION.items()}


# A commission still waits for its installment's payment in these statuses: provisioned and on
# hold (Commission.Status, named before the class exists for the partial index that uses them).
# The payment releases a provisioned commission, so a released one was paid; an on-hold one may
# be paid or not. Once cancelled or reversed, its unpaid installment is no longer owed.
AWAITING_PAYMENT = ("provisioned", "on_hold")


class CommissionQuerySet(models.QuerySet):
    def visible_to(self, user):
        return reseller_scope(self, user, "account__reseller_id")

    def overdue(self, today=None):
        """Commissions whose installment is past due and not paid by the customer."""
        return self.filter(overdue_q(today))

    def not_overdue(self, today=None):
        return self.exclude(overdue_q(today))

    def totals(self):
        """{"count", "net_total"} of these commissions, in one aggregate query."""
        return self.aggregate(
            count=Count("pk"),
            net_total=Coalesce(Sum("net_amount"), Value(Decimal(0)), output_field=MoneyField()),
        )


class Commission(LifecycleMixin, models.Model):
    class Status(models.TextChoices):
        PROVISIONED = "provisioned", _("Provisioned")
        ON_HOLD = "on_hold", _("On hold")
        RELEASED = "released", _("Released")
        REQUESTED = "requested", _("Requested")
        IN_ANALYSIS = "in_analysis", _("In analysis")
        APPROVED = "approved", _("Approved")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")
        REVERSED = "reversed", _("Reversed")

    class SaleType(models.TextChoices):
        PRIVATE = "private", _("Private")
        GOVERNMENT = "government", _("Government")

    lifecycle = Lifecycle(
        {
            Status.PROVISIONED: {
                Status.ON_HOLD,
                Status.RELEASED,
                Status.CANCELLED,
                Status.REVERSED,
            },
            # Government sales wait for compliance approval; once approved, a commission whose
            # payment is not identified yet goes back to provisioned to wait for it.
            Status.ON_HOLD: {Status.PROVISIONED, Status.RELEASED, Status.CANCELLED},
            Status.RELEASED: {Status.REQUESTED, Status.CANCELLED, Status.REVERSED},
            # A rejected NF, or a request cancelled before analysis, sends it back to released.
            Status.REQUESTED: {Status.IN_ANALYSIS, Status.RELEASED},
            Status.IN_ANALYSIS: {Status.APPROVED, Status.RELEASED},
            # Once approved, its request can only be paid (DESIGN §3): no way back to released.
            Status.APPROVED: {Status.PAID},
            Status.PAID: {Status.REVERSED},
        },
        needs_reason={Status.ON_HOLD: "hold_reason"},
    )

    installment = models.OneToOneField(
        Installment,
        verbose_name=_("installment"),
        on_delete=models.PROTECT,
        related_name="commission",
    )
    # Copied from the installment (COPIED_TO_COMMISSION) so lists filter and sort on one table:
    # the list's default order, the newest issue date first, walks an index instead of sorting
    # every commission, and "Faturas vencidas" is a short range of a small partial index without
    # a join (bench/README.md). save() copies them; Installment.save keeps them in step.
    issue_date = models.DateField(_("issue date"), editable=False)
    due_date = models.DateField(_("due date"), editable=False)
    installment_paid_date = models.DateField(_("customer paid on"), null=True, editable=False)
    account = models.ForeignKey(
        "accounts.ResellerAccount",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="commissions",
    )
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="commissions"
    )
    net_amount = MoneyField(_("net commission"))
    sale_type = models.CharField(
        _("sale type"), max_length=12, choices=SaleType.choices, default=SaleType.PRIVATE
    )
    status = models.CharField(
        _("commission status"), max_length=20, choices=Status.choices, default=Status.PROVISIONED
    )
    hold_reason = models.CharField(_("hold reason"), max_length=200, blank=True)
    request = models.ForeignKey(
        "commissions.CommissionRequest",
        verbose_name=_("request"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="commissions",
    )
    payment_date = models.DateField(_("commission payment date"), null=True, blank=True)
    payment_document = models.CharField(_("payment document"), max_length=40, blank=True)

    objects = CommissionQuerySet.as_manager()

    class Meta:
        verbose_name = _("commission")
        verbose_name_plural = _("commissions")
        ordering = ["-issue_date", "-pk"]
        indexes = [
            # The list's default order; on PostgreSQL it also carries what the totals of an
            # issue-date range add up, so they read the index alone (an index-only scan).
            models.Index(
                fields=["-issue_date", "-id"],
                include=["account", "net_amount"],
                name="commission_issued_idx",
            ),
            models.Index(fields=["account", "-issue_date"], name="commission_account_issued_idx"),
            models.Index(fields=["account", "status"]),
            models.Index(fields=["account", "company", "status"]),
            models.Index(fields=["status", "payment_date"]),
            # "Faturas vencidas" (overdue_q): only the commissions still waiting for a payment.
            models.Index(
                fields=["account", "due_date"],
                condition=models.Q(status__in=AWAITING_PAYMENT, installment_paid_date__isnull=True),
                name="commission_awaiting_due_idx",
            ),
        ]

    def __str__(self):
        return str(self.installment)

    def save(self, *args, **kwargs):
        if self.installment_id is not None and None in (self.issue_date, self.due_date):
            for name, value in copied_from(self.installment).items():
                setattr(self, name, value)
        fields = kwargs.get("update_fields")
        saved = (
            TOTALLED
            if fields is None
            else TOTALLED & {self._meta.get_field(f).attname for f in fields}
        )
        adding = self._state.adding
        if not adding and not saved:
            return super().save(*args, **kwargs)
        with transaction.atomic():
            before = None
            if not adding and saved:
                # Locked, so that two saves at once each move their own difference.
                before = (
                    Commission.objects.select_for_update()
                    .filter(pk=self.pk)
                    .values(*TOTALLED)
                    .first()
                )
            super().save(*args, **kwargs)
            if adding:
                CommissionTotal.objects.count_in(totalled(self), 1)
            elif before is not None:
                after = {**before, **{name: getattr(self, name) for name in saved}}
                if after != before:
                    CommissionTotal.objects.count_in(before, -1)
                    CommissionTotal.objects.count_in(after, 1)

    def get_absolute_url(self):
        return reverse("commissions:detail", args=[self.pk])

    def after_transition(self, frm, to):
        CommissionMonth.objects.record(self, frm, to)
        CommissionTotal.objects.count_in({**totalled(self), "status": frm}, -1)
        CommissionTotal.objects.count_in({**totalled(self), "status": to}, 1)


# The fields of a commission that CommissionTotal adds up by.
TOTALLED = frozenset({"account_id", "company_id", "status", "net_amount"})


def totalled(commission):
    return {name: getattr(commission, name) for name in TOTALLED}


@receiver(post_delete, sender=Commission)
def _commission_deleted(sender, instance, **kwargs):
    CommissionTotal.objects.count_in(totalled(instance), -1)


def overdue_q(today=None):
    # The partial index commission_awaiting_due_idx holds only the unpaid commissions waiting for
    # a payment, so the past-due ones are a short range of it whatever the table's size.
    return Q(
        status__in=AWAITING_PAYMENT,
        installment_paid_date__isnull=True,
        due_date__lt=today or timezone.localdate(),
    )


def charted_status(frm, to):
    """The status a move counts under in CommissionMonth, or None.

    A release counts once: a commission that goes back to released after a refused NF or a
    cancelled request was already counted when it was first released.
    """
    if to == Commission.Status.PAID:
        return to
    if to == Commission.Status.RELEASED and frm in (
        Commission.Status.PROVISIONED,
        Commission.Status.ON_HOLD,
    ):
        return to
    return None


class CommissionMonthQuerySet(models.QuerySet):
    def visible_to(self, user):
        return reseller_scope(self, user, "account__reseller_id")

    def record(self, commission, frm, to):
        """One commission moved now: count it if the move is a release or a payment."""
        status = charted_status(frm, to)
        if status is None:
            return
        key = {"account_id": commission.account_id, "month": month_of(timezone.now())}
        bump(self, {**key, "status": status}, count=1)

    def refresh(self, account_ids):
        """Recounts every month of these accounts from the status history (after bulk loads)."""
        from portal.models import StatusChange

        account_ids = list(account_ids)
        commissions = Commission.objects.filter(account_id__in=account_ids)
        rows = (
            StatusChange.objects.filter(
                content_type=ContentType.objects.get_for_model(Commission),
                object_id__in=commissions.values("pk"),
            )
            .filter(
                Q(to_status=Commission.Status.PAID)
                | Q(
                    to_status=Commission.Status.RELEASED,
                    from_status__in=[Commission.Status.PROVISIONED, Commission.Status.ON_HOLD],
                )
            )
            .annotate(
                account_id=models.Subquery(
                    commissions.filter(pk=models.OuterRef("object_id")).values("account_id")
                ),
                month=TruncMonth("changed_at"),
            )
            .values("account_id", "month", "to_status")
            .annotate(count=Count("pk"))
            .order_by()
        )
        self.filter(account_id__in=account_ids).delete()
        self.bulk_create(
            CommissionMonth(
                account_id=row["account_id"],
                month=month_of(row["month"]),
                status=row["to_status"],
                count=row["count"],
            )
            for row in rows
        )


class CommissionMonth(models.Model):
    """Commissions released and paid per account and month: the dashboard chart reads this
    instead of the status history. Transitions keep it in step; bulk loads call refresh."""

    account = models.ForeignKey(
        "accounts.ResellerAccount", on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField()
    status = models.CharField(
        max_length=20,
        choices=[(s.value, s.label) for s in (Commission.Status.RELEASED, Commission.Status.PAID)],
    )
    count = models.IntegerField(default=0)

    objects = CommissionMonthQuerySet.as_manager()

    class Meta:
        verbose_name = _("commissions per month")
        verbose_name_plural = _("commissions per month")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "month", "status"], name="unique_commission_month"
            )
        ]

    def __str__(self):
        return f"{self.account_id} {self.month:%Y-%m} {self.status}: {self.count}"


class CommissionTotalQuerySet(models.QuerySet):
    def visible_to(self, user):
        return reseller_scope(self, user, "account__reseller_id")

    def count_in(self, values, sign):
        """Counts one commission with `values` (account_id, company_id, status, net_amount) in
        (sign 1) or out of (sign -1) its total."""
        key = {name: values[name] for name in ("account_id", "company_id", "status")}
        bump(self, key, count=sign, net_total=sign * values["net_amount"])

    def totals(self):
        """The same {"count", "net_total"} as CommissionQuerySet.totals, from these rows."""
        return self.aggregate(
            count=Coalesce(Sum("count"), 0),
            net_total=Coalesce(Sum("net_total"), Value(Decimal(0)), output_field=MoneyField()),
        )

    def refresh(self, account_ids):
        """Recounts the totals of these accounts from their commissions (after bulk writes)."""
        account_ids = list(account_ids)
        rows = (
            Commission.objects.filter(account_id__in=account_ids)
            .values("account_id", "company_id", "status")
            .annotate(count=Count("pk"), net_total=Sum("net_amount"))
            .order_by()
        )
        self.filter(account_id__in=account_ids).delete()
        self.bulk_create(CommissionTotal(**row) for row in rows)


class CommissionTotal(models.Model):
    """The count and net total of the commissions of each account, company and status: the
    list's totals read these few rows when it is filtered by those fields alone, instead of
    adding up every commission (CommissionListView.summary). Saves, transitions and deletions
    keep it in step; bulk writes call refresh."""

    account = models.ForeignKey(
        "accounts.ResellerAccount", on_delete=models.CASCADE, related_name="+"
    )
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=20, choices=Commission.Status.choices)
    count = models.IntegerField(default=0)
    net_total = MoneyField(default=0)

    objects = CommissionTotalQuerySet.as_manager()

    class Meta:
        verbose_name = _("commission total")
        verbose_name_plural = _("commission totals")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "company", "status"], name="unique_commission_total"
            )
        ]

    def __str__(self):
        return f"{self.account_id} {self.company_id} {self.status}: {self.count}"


class CommissionRequestQuerySet(models.QuerySet):
    def visible_to(self, user):
        return reseller_scope(self, user, "reseller_id")


class CommissionRequest(LifecycleMixin, models.Model):
    """A reseller's request for payment of released commissions of one company."""

    class Status(models.TextChoices):
        AWAITING_NF = "awaiting_nf", _("Awaiting invoice")
        SENT = "sent", _("Sent")
        IN_ANALYSIS = "in_analysis", _("In analysis")
        APPROVED = "approved", _("Approved")
        PAID = "paid", _("Paid")
        REFUSED = "refused", _("Refused")
        CANCELLED = "cancelled", _("Cancelled")

    lifecycle = Lifecycle(
        {
            Status.AWAITING_NF: {Status.SENT, Status.CANCELLED},
            Status.SENT: {Status.IN_ANALYSIS, Status.REFUSED, Status.CANCELLED},
            Status.IN_ANALYSIS: {Status.APPROVED, Status.REFUSED},
            Status.APPROVED: {Status.PAID},
            # After a refusal the reseller may send a new NF.
            Status.REFUSED: {Status.SENT, Status.CANCELLED},
        },
        needs_reason={Status.REFUSED: None},
    )

    reseller = models.ForeignKey(
        "accounts.Reseller",
        verbose_name=_("reseller"),
        on_delete=models.PROTECT,
        related_name="commission_requests",
    )
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="requests"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    total = MoneyField(_("total"))
    status = models.CharField(
        _("request status"), max_length=20, choices=Status.choices, default=Status.AWAITING_NF
    )

    objects = CommissionRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("commission request")
        verbose_name_plural = _("commission requests")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["reseller", "status", "-created_at"])]

    def __str__(self):
        return f"#{self.pk} {self.company} {self.total}"
