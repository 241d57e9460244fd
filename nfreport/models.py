from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.fields import MoneyField
from portal.lifecycle import Lifecycle, LifecycleMixin
from portal.scoping import reseller_scope


class ServiceInvoiceQuerySet(models.QuerySet):
    def visible_to(self, user):
        return reseller_scope(self, user, "request__reseller_id")


def service_invoice_upload_to(instance, filename):
    return f"service-invoices/{instance.request_id}/{filename}"


class ServiceInvoice(LifecycleMixin, models.Model):
    """The reseller's NFS-e that bills a commission request."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        IN_ANALYSIS = "in_analysis", _("In analysis")
        APPROVED = "approved", _("Approved")
        PAID = "paid", _("Paid")
        REFUSED = "refused", _("Refused")
        CANCELLED = "cancelled", _("Cancelled")

    lifecycle = Lifecycle(
        {
            Status.SENT: {Status.IN_ANALYSIS, Status.REFUSED, Status.CANCELLED},
            Status.IN_ANALYSIS: {Status.APPROVED, Status.REFUSED},
            Status.APPROVED: {Status.PAID},
        },
        needs_reason={Status.REFUSED: "reason"},
    )

    request = models.ForeignKey(
        "commissions.CommissionRequest",
        verbose_name=_("request"),
        on_delete=models.PROTECT,
        related_name="service_invoices",
    )
    number = models.CharField(_("invoice number"), max_length=20)
    series = models.CharField(_("series"), max_length=5, blank=True)
    amount = MoneyField(_("amount"))
    pdf = models.FileField(_("PDF"), upload_to=service_invoice_upload_to, max_length=255)
    xml = models.FileField(
        _("XML"), upload_to=service_invoice_upload_to, max_length=255, blank=True
    )
    status = models.CharField(
        _("invoice status"), max_length=20, choices=Status.choices, default=Status.SENT
    )
    reason = models.TextField(_("reason"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    objects = ServiceInvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("service invoice (NFS-e)")
        verbose_name_plural = _("service invoices (NFS-e)")
        ordering = ["-sent_at", "-pk"]
        indexes = [models.Index(fields=["status", "-sent_at"])]

    def __str__(self):
        return f"{self.number}/{self.series}" if self.series else self.number
