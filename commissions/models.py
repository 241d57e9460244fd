from collections import Counter
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Count, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.fields import CNPJField, MoneyField
from portal.lifecycle import Lifecycle, LifecycleMixin
from portal.models import StatusChange
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


# The installment's fields that its commission copies: {commission field: installment field}.
COPIED_TO_COMMISSION = {
    "issue_date": "issue_date",
    "due_date": "due_date",
    "installment_paid_date": "paid_date",
}


def copied_from(installment):
    """The copies a commission of `installment` holds: for loads that insert commissions."""
    return {mine: getattr(installment, theirs) for mine, theirs in COPIED_TO_COMMISSION.items()}


class InstallmentQuerySet(SourceQuerySet):
    """update() of a date that commissions copy copies it onto them, in the same transaction. A
    new installment has no commission yet, and one that has cannot be deleted (PROTECT)."""

    sources = frozenset(COPIED_TO_COMMISSION.values())

    def visible_to(self, user):
        return reseller_scope(self, user, "account__reseller_id")

    def _touched(self, names):
        return None if names is None else Scope(self, "pk")

    def _recount(self, installments, names):
        if installments is not None:
            _sync_commissions(installments.before)


def _sync_commissions(installment_ids):
    for ids in batches(installment_ids):
        Commission.objects.filter(installment__in=ids).sync_installment_dates()


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
        write = RowWrite(self, InstallmentQuerySet.sources, kwargs.get("update_fields"))
        if write.adding or not write.writes:
            return super().save(*args, **kwargs)
        with transaction.atomic():
            super().save(*args, **kwargs)
            _sync_commissions([self.pk])


# A commission still waits for its installment's payment in these statuses: provisioned and on
# hold (Commission.Status, named before the class exists for the partial index that uses them).
# The payment releases a provisioned commission, so a released one was paid; an on-hold one may
# be paid or not. Once cancelled or reversed, its unpaid installment is no longer owed.
AWAITING_PAYMENT = ("provisioned", "on_hold")


# The fields of a commission that CommissionTotal adds up by.
TOTALLED = frozenset({"account_id", "company_id", "status", "net_amount"})
# What the data derived from a commission follows: its totals, the account its charted moves
# (CommissionMonth) count under, and the installment whose dates it copies.
FOLLOWED = TOTALLED | {"installment_id"}


class CommissionQuerySet(SourceQuerySet):
    """update() of a followed field and delete() recount the CommissionTotal and CommissionMonth
    of the accounts they touch, and copy a new installment's dates; bulk_create() copies the
    dates and counts the new commissions in. The copied dates are the installment's to write:
    update() refuses them."""

    copies = {
        mine: (
            f"Commission.{mine} copies its installment's {theirs}: write the Installment (save, "
            "its queryset), or call Commission.objects.sync_installment_dates()."
        )
        for mine, theirs in COPIED_TO_COMMISSION.items()
    }
    sources = FOLLOWED

    def visible_to(self, user):
        return reseller_scope(self, user, "account__reseller_id")

    def sync_installment_dates(self):
        """Copies each commission's installment dates onto it (COPIED_TO_COMMISSION), in one
        UPDATE. The one writer of the copies once a commission exists: Installment's save and
        queryset call it, and a load that writes installments without them (SQL) calls it
        afterwards."""
        installment = Installment.objects.filter(pk=OuterRef("installment_id"))
        return self._write_copies(
            **{
                mine: Subquery(installment.values(theirs)[:1])
                for mine, theirs in COPIED_TO_COMMISSION.items()
            }
        )

    def _touched(self, names):
        repointed = names is not None and "installment_id" in names
        return Scope(self, "account_id", names), Scope(self, "pk") if repointed else None

    def _recount(self, touched, names):
        accounts, repointed = touched
        if names is None or names & TOTALLED:
            CommissionTotal.objects.refresh(accounts.after())
        if names is None or "account_id" in names:
            CommissionMonth.objects.refresh(accounts.after())
        for ids in batches(repointed.before if repointed else ()):
            self.model.objects.filter(pk__in=ids).sync_installment_dates()

    def _creating(self, commissions):
        dates = {}
        for ids in batches({commission.installment_id for commission in commissions}):
            rows = Installment.objects.filter(pk__in=ids).values_list(
                "pk", *COPIED_TO_COMMISSION.values()
            )
            dates.update((pk, values) for pk, *values in rows)
        for commission in commissions:
            for name, value in zip(
                COPIED_TO_COMMISSION, dates.get(commission.installment_id, ()), strict=False
            ):
                setattr(commission, name, value)

    def _created(self, commissions, exact):
        # New commissions have no status history yet: CommissionMonth does not change.
        if exact:
            CommissionTotal.objects.count_new(commissions)
        else:
            CommissionTotal.objects.refresh({commission.account_id for commission in commissions})

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
            # Once approved, its request can only be paid: no way back to released.
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
    # a join (bench/README.md). save() copies them when the commission is new or moves to another
    # installment; sync_installment_dates() rewrites them when the installment changes.
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
        fields = kwargs.get("update_fields")
        write = RowWrite(self, FOLLOWED, fields)
        if not write:
            return super().save(*args, **kwargs)
        with transaction.atomic():
            # Locked, so that two saves at once each move their own difference.
            before = write.lock(*COPIED_TO_COMMISSION)
            if before is None or before["installment_id"] != self.installment_id:
                copies = copied_from(self.installment) if self.installment_id else {}
                if fields is not None and "installment_id" in write.writes:
                    kwargs["update_fields"] = [*fields, *COPIED_TO_COMMISSION]
            else:
                # As stored: the installment writes them, not an instance read earlier.
                copies = {name: before[name] for name in COPIED_TO_COMMISSION}
            for name, value in copies.items():
                setattr(self, name, value)
            super().save(*args, **kwargs)
            after = write.after()
            CommissionTotal.objects.move(before, after)
            if before is not None and before["account_id"] != after["account_id"]:
                CommissionMonth.objects.move_history(
                    self.pk, before["account_id"], after["account_id"]
                )

    def get_absolute_url(self):
        return reverse("commissions:detail", args=[self.pk])

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            before = stored(self, TOTALLED)
            pk = self.pk
            deleted = super().delete(*args, **kwargs)
            if before is not None:
                CommissionTotal.objects.move(before, None)
                CommissionMonth.objects.move_history(pk, before["account_id"], None)
        return deleted

    def after_transition(self, frm, to):
        CommissionMonth.objects.record(self, frm, to)
        values = totalled(self)
        CommissionTotal.objects.move({**values, "status": frm}, {**values, "status": to})


def totalled(commission):
    return {name: getattr(commission, name) for name in TOTALLED}


def overdue_q(today=None):
    # The partial index commission_awaiting_due_idx holds only the unpaid commissions waiting for
    # a payment, so the past-due ones are a short range of it whatever the table's size.
    return Q(
        status__in=AWAITING_PAYMENT,
        installment_paid_date__isnull=True,
        due_date__lt=today or timezone.localdate(),
    )


# The statuses a first release comes from.
RELEASED_FROM = (Commission.Status.PROVISIONED, Commission.Status.ON_HOLD)
# The moves of the status history that CommissionMonth counts, as charted_status() says.
CHARTED = Q(to_status=Commission.Status.PAID) | Q(
    to_status=Commission.Status.RELEASED, from_status__in=RELEASED_FROM
)


def charted_status(frm, to):
    """The status a move counts under in CommissionMonth, or None.

    A release counts once: a commission that goes back to released after a refused NF or a
    cancelled request was already counted when it was first released.
    """
    if to == Commission.Status.PAID:
        return to
    if to == Commission.Status.RELEASED and frm in RELEASED_FROM:
        return to
    return None


def charted_moves(commissions):
    """The charted moves (CHARTED) of the history of these commissions (a queryset of them, or
    their ids)."""
    return StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Commission), object_id__in=commissions
    ).filter(CHARTED)


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

    def move_history(self, commission_id, from_account, to_account):
        """One commission moved to another account (to_account None: it was deleted): its
        charted moves count under that one now."""
        rows = (
            charted_moves([commission_id])
            .annotate(month=TruncMonth("changed_at"))
            .values("month", "to_status")
            .annotate(count=Count("pk"))
            .order_by()
        )
        for row in rows:
            key = {"month": month_of(row["month"]), "status": row["to_status"]}
            if from_account is not None:
                bump(self, {**key, "account_id": from_account}, count=-row["count"])
            if to_account is not None:
                bump(self, {**key, "account_id": to_account}, count=row["count"])

    def refresh(self, account_ids):
        """Recounts every month of these accounts from the status history: the bulk path, for
        loads that write history without transitions, and as a repair."""
        account_ids = list(account_ids)
        commissions = Commission.objects.filter(account_id__in=account_ids)
        rows = (
            charted_moves(commissions.values("pk"))
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
    instead of the status history. It counts the charted moves (CHARTED) of the history of each
    commission under the commission's account.

    Transitions count a move as they record it (`record`); moving a commission to another
    account, or deleting it, moves its counted history (`move_history`), through save(),
    delete() or the queryset. History written without transitions (the demo's) is counted by
    `CommissionMonth.objects.refresh(account_ids)`, the bulk path, which recounts accounts from
    scratch.
    """

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

    def move(self, before, after):
        """One commission was written: counts it out of its total as it was (`before`, its
        TOTALLED values; None for a new one) and into its total as it is (`after`; None once
        deleted)."""
        before = before and {name: before[name] for name in TOTALLED}
        after = after and {name: after[name] for name in TOTALLED}
        if before == after:
            return
        for values, sign in ((before, -1), (after, 1)):
            if values:
                key = {name: values[name] for name in ("account_id", "company_id", "status")}
                bump(self, key, count=sign, net_total=sign * values["net_amount"])

    def count_new(self, commissions):
        """New commissions, inserted in bulk: counted in with a few queries (bump_many)."""
        counts, nets = Counter(), Counter()
        for commission in commissions:
            key = (commission.account_id, commission.company_id, commission.status)
            counts[key] += 1
            nets[key] += commission.net_amount
        bump_many(
            self,
            [
                (
                    {"account_id": account_id, "company_id": company_id, "status": status},
                    {"count": count, "net_total": nets[account_id, company_id, status]},
                )
                for (account_id, company_id, status), count in counts.items()
            ],
        )

    def totals(self):
        """The same {"count", "net_total"} as CommissionQuerySet.totals, from these rows."""
        return self.aggregate(
            count=Coalesce(Sum("count"), 0),
            net_total=Coalesce(Sum("net_total"), Value(Decimal(0)), output_field=MoneyField()),
        )

    def refresh(self, account_ids):
        """Recounts the totals of these accounts from their commissions: the bulk path, for
        loads that write commissions without the models (SQL), and as a repair."""
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
    adding up every commission (CommissionListView.summary).

    Every write of a commission keeps it: save() and delete() by the row's locked difference,
    transitions, and the queryset's update(), delete() and bulk_create().
    `CommissionTotal.objects.refresh(account_ids)` recounts accounts from scratch: the bulk path,
    which the ERP import and the demo call when they are done, and the repair after writes that
    skip the models (SQL).
    """

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
